package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The market's commands (issue 17, docs/MARKET.md): `tx prover ask`,
// `query asks`, `query market`, `query pool`, and run's --mechanism flags.

// newTxProverAskCmd is `provernet tx prover ask`.
func newTxProverAskCmd(g *globals) *cobra.Command {
	var a client.AskSpec
	var from string
	var wait, remove bool
	cmd := &cobra.Command{
		Use:   "ask",
		Short: "Keep (or --remove) one of --from's asks: a price per Mcycle and a latency for programs or classes",
		Long: `Keeps ask --id of the prover --from: it proves for --price uprv per mega-cycle
and promises a result within --latency blocks of the match, for the programs
(--program, an id or a name) and the resource classes (--class cpu|gpu) named.
Setting an id again replaces it; --remove takes it back. A market Run
(provernet run --mechanism market|cheapest) is matched against these asks; a
prover's cheapest ask serving a class ranks it for that class's pool
(provernet run --mechanism pool), with its stake.`,
		Example: `  provernet tx prover ask --from alice --id 1 --price 5 --latency 20 --class cpu --wait
  provernet tx prover ask --from alice --id 2 --price 3 --latency 40 --program sha256-chain --wait
  provernet tx prover ask --from alice --id 1 --remove --wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := g.loadKey(from)
			if err != nil {
				return err
			}
			var msg *client.Msg
			if remove {
				if a.Price != 0 || a.Latency != 0 || len(a.Programs) != 0 || len(a.Classes) != 0 {
					return cli.WithHint(errors.New("--remove takes only --id"), "drop --price, --latency, --program and --class")
				}
				msg = client.RemoveAskMsg(a.ID)
			} else {
				if msg, err = askMsg(cmd, g, a); err != nil {
					return err
				}
			}
			return g.sendAndReport(cmd.Context(), key, 0, wait, 30*time.Second, msg)
		},
	}
	f := cmd.Flags()
	f.Uint32Var(&a.ID, "id", 0, "the ask's id (a prover keeps up to max_asks_per_prover, by id)")
	f.Uint64Var(&a.Price, "price", 0, "uprv per mega-cycle (at least 1)")
	f.Int64Var(&a.Latency, "latency", 0, "blocks from the match to the result (1..max_deadline)")
	f.StringArrayVar(&a.Programs, "program", nil, "a program it serves: id or name (repeatable)")
	f.StringArrayVar(&a.Classes, "class", nil, "a resource class it serves: cpu or gpu (repeatable)")
	f.BoolVar(&remove, "remove", false, "take ask --id back")
	f.StringVar(&from, "from", "", "the prover's account key (required)")
	f.BoolVar(&wait, "wait", false, "wait until committed")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("id")
	return cmd
}

// askMsg checks an ask's flags and resolves its programs' names.
func askMsg(cmd *cobra.Command, g *globals, a client.AskSpec) (*client.Msg, error) {
	switch {
	case a.Price == 0:
		return nil, cli.WithHint(errors.New("--price must be at least 1 uprv per mega-cycle"), "`provernet query market PROGRAM` shows the going prices")
	case a.Latency < 1:
		return nil, cli.WithHint(errors.New("--latency must be at least 1 block"), "it is the most blocks you promise between the match and your result")
	case len(a.Programs)+len(a.Classes) == 0:
		return nil, cli.WithHint(errors.New("an ask serves at least one --program or --class"), "--class cpu serves every program that needs no GPU")
	}
	for i, p := range a.Programs {
		id, err := resolveProgram(cmd, g.client(), p)
		if err != nil {
			return nil, err
		}
		a.Programs[i] = id
	}
	return client.SetAskMsg(a)
}

// newQueryAsksCmd is `provernet query asks`.
func newQueryAsksCmd(g *globals) *cobra.Command {
	var o client.AskOptions
	cmd := &cobra.Command{
		Use:   "asks",
		Short: "Standing asks: a prover's (--prover), or a program's or a class's book, cheapest first",
		Example: `  provernet query asks --prover alice
  provernet query asks --program sha256-chain
  provernet query asks --class gpu --limit 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Prover != "" {
				if o.Prover, err = g.resolveAddress(o.Prover); err != nil {
					return err
				}
			}
			if o.Program != "" {
				if o.Program, err = resolveProgram(cmd, g.client(), o.Program); err != nil {
					return err
				}
			}
			if n := countSet(o.Prover, o.Program, o.Class); n != 1 {
				return cli.WithHint(errors.New("name one of --prover, --program and --class"), "e.g. provernet query asks --class cpu")
			}
			p, err := g.client().Asks(cmd.Context(), o)
			if err != nil {
				return nodeErr(err)
			}
			return g.emit(p, func(w io.Writer) {
				if len(p.Asks) == 0 {
					fmt.Fprintln(w, "no asks")
					return
				}
				printAskTable(w, p.Asks)
				printNext(w, p.Next)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Prover, "prover", "", "a prover's asks: its address or a local key name")
	f.StringVar(&o.Program, "program", "", "a program's book: its id or name")
	f.StringVar(&o.Class, "class", "", "a resource class's book: cpu or gpu")
	f.Uint32Var(&o.Limit, "limit", 0, "page size of a book (default 100, at most 200)")
	f.StringVar(&o.Cursor, "cursor", "", "a previous page's next cursor")
	return cmd
}

func countSet(ss ...string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

// newQueryMarketCmd is `provernet query market PROGRAM`.
func newQueryMarketCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "market PROGRAM",
		Short:   "A program's ask book per class and its recent clearing prices",
		Example: "  provernet query market sha256-chain",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveProgram(cmd, g.client(), args[0])
			if err != nil {
				return err
			}
			m, err := g.client().Market(cmd.Context(), id)
			if err != nil {
				return nodeErr(err)
			}
			return g.emit(m, func(w io.Writer) { printMarket(w, m) })
		},
	}
}

// newQueryPoolCmd is `provernet query pool`.
func newQueryPoolCmd(g *globals) *cobra.Command {
	var class string
	cmd := &cobra.Command{
		Use:   "pool",
		Short: "A resource class's pool: its members this epoch and the top of its score index now",
		Long: `Shows the pool a Run with --mechanism pool is drawn in: the top pool_size active
provers of the class by score (stake * 10^6 over the price of their cheapest ask
serving the class), frozen at the epoch's first block with those asks; and the
ranking the score index gives now, which the next epoch's first block freezes if
nothing moves before it.`,
		Example: "  provernet query pool\n  provernet query pool --class gpu",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := g.client().Pool(cmd.Context(), class)
			if err != nil {
				return nodeErr(err)
			}
			return g.emit(v, func(w io.Writer) { printPool(w, v) })
		},
	}
	cmd.Flags().StringVar(&class, "class", "cpu", "the resource class: cpu or gpu")
	return cmd
}

func printPool(w io.Writer, v *wire.PoolView) {
	if v.Pool == nil {
		fmt.Fprintf(w, "%s pool: none this epoch (the genesis epoch, or nobody ranked at the last freeze)\n", v.Class)
	} else {
		fmt.Fprintf(w, "%s pool of epoch %d (frozen at height %d), best first:\n", v.Class, v.Pool.Epoch, v.Pool.Height)
		printPoolEntries(w, v.Pool.Members)
	}
	fmt.Fprintf(w, "the score index now (the next epoch's pool if nothing moves):\n")
	printPoolEntries(w, v.Next)
}

func printPoolEntries(w io.Writer, es []wire.PoolEntry) {
	if len(es) == 0 {
		fmt.Fprintln(w, "  (nobody: no active prover asks for this class)")
		return
	}
	fmt.Fprintf(w, "  %-42s %20s %14s %6s %5s %10s %8s\n", "PROVER", "SCORE", "STAKE", "REP", "ASK", "PRICE", "LATENCY")
	for _, e := range es {
		fmt.Fprintf(w, "  %-42s %20d %14d %6d %5d %10d %8d\n", e.Prover, e.Score, e.Stake, e.Reputation, e.Ask, e.Price, e.Latency)
	}
}

func printMarket(w io.Writer, m *wire.Market) {
	fmt.Fprintf(w, "market of program %s (class %s)\n", m.Program, m.Class)
	fmt.Fprintf(w, "%-8s %10s %8s  %-42s %s\n", "CLASS", "PRICE", "LATENCY", "PROVER", "ASK")
	rows := 0
	for _, list := range []struct {
		name string
		asks []wire.Ask
	}{{"program", m.ProgramAsks}, {m.Class, m.ClassAsks}} {
		for _, a := range list.asks {
			fmt.Fprintf(w, "%-8s %10d %8d  %-42s %d\n", list.name, a.Price, a.Latency, a.Prover, a.ID)
			rows++
		}
	}
	if rows == 0 {
		fmt.Fprintln(w, "(no asks: a market Run of this program would match nothing now)")
	}
	if m.Truncated {
		fmt.Fprintln(w, "(more asks than shown: provernet query asks --program or --class pages them)")
	}
	if len(m.Clearing) == 0 {
		fmt.Fprintln(w, "recent clearing prices: none yet")
		return
	}
	fmt.Fprintln(w, "recent clearing prices (uprv per Mcycle, newest last):")
	for _, c := range m.Clearing {
		fmt.Fprintf(w, "  height %-8d %10d  %s  workload %s\n", c.Height, c.Price, c.Prover, c.Workload)
	}
}

func printAskTable(w io.Writer, as []wire.Ask) {
	fmt.Fprintf(w, "%-42s %5s %10s %8s  %s\n", "PROVER", "ASK", "PRICE", "LATENCY", "SERVES")
	for _, a := range as {
		fmt.Fprintf(w, "%-42s %5d %10d %8d  %s\n", a.Prover, a.ID, a.Price, a.Latency, strings.Join(append(append([]string{}, a.Classes...), a.Programs...), ","))
	}
}

// marketOpts are run's market flags.
type marketOpts struct {
	mechanism  string
	maxPrice   uint64
	maxLatency int64
	priority   string
	allow      []string
	deny       []string
}

func addMarketFlags(f *pflag.FlagSet, o *marketOpts) {
	f.StringVar(&o.mechanism, "mechanism", "lottery", "how provers are chosen: lottery (drawn), market (the top k asks), cheapest (k = 1, the lowest ask) or pool (k drawn in the epoch's pool of its class)")
	f.Uint64Var(&o.maxPrice, "max-price", 0, "market/cheapest/pool: the highest ask price taken, uprv per Mcycle (required with them)")
	f.Int64Var(&o.maxLatency, "max-latency", 0, "market/cheapest/pool: the highest ask latency taken, blocks (0: the deadline)")
	f.StringVar(&o.priority, "priority", "price", "market: sort the asks by price or by time (latency) first")
	f.StringSliceVar(&o.allow, "allow", nil, "market/cheapest/pool: only these provers (addresses or key names, comma-separated)")
	f.StringSliceVar(&o.deny, "deny", nil, "market/cheapest/pool: never these provers (addresses or key names, comma-separated)")
}

// request is the flags' market order, nil for the lottery.
func (o marketOpts) request(g *globals) (*client.MarketRequest, error) {
	switch o.mechanism {
	case "", "lottery":
		if o.maxPrice != 0 || o.maxLatency != 0 || len(o.allow)+len(o.deny) > 0 {
			return nil, cli.WithHint(errors.New("--max-price, --max-latency, --allow and --deny need --mechanism market, cheapest or pool"), "the lottery draws among all active provers")
		}
		return nil, nil
	case "market", "cheapest", "pool":
	default:
		return nil, cli.WithHint(fmt.Errorf("--mechanism %q is not lottery, market, cheapest or pool", o.mechanism), "")
	}
	if o.maxPrice == 0 {
		return nil, cli.WithHint(errors.New("--max-price is required with --mechanism "+o.mechanism), "`provernet query market PROGRAM` shows the asks and recent clearing prices; `provernet query pool` the pool's")
	}
	if o.priority != "price" && o.priority != "time" {
		return nil, cli.WithHint(fmt.Errorf("--priority %q is not price or time", o.priority), "")
	}
	if o.mechanism == "pool" && o.priority != "price" {
		return nil, cli.WithHint(errors.New("--priority does not apply to --mechanism pool"), "the pool draws its provers at random among its members")
	}
	m := &client.MarketRequest{Mechanism: o.mechanism, MaxPrice: o.maxPrice, MaxLatency: o.maxLatency, Priority: o.priority}
	for _, l := range []struct {
		in  []string
		out *[]string
	}{{o.allow, &m.Allow}, {o.deny, &m.Deny}} {
		for _, s := range l.in {
			a, err := g.resolveAddress(s)
			if err != nil {
				return nil, err
			}
			*l.out = append(*l.out, a)
		}
	}
	return m, nil
}

// runSayMarketQuote shows a market Run's escrow and the asks it would
// match now.
func runSayMarketQuote(g *globals, q *client.RunQuote, m *client.MarketRequest, from string) {
	runSay(g, "%s Run: escrow %s (%d uprv) = %d provers x %d uprv per slot (max price %d uprv/Mcycle x %d Mcycles); the asks matched are paid, the rest refunded; %s has %s",
		m.Mechanism, formatAmount(q.Fee), q.Fee, q.Provers, q.PerSlot, q.PricePerMcycle, q.Mcycles, from, formatAmount(q.Balance))
	if m.Mechanism == "pool" {
		if len(q.Asks) == 0 {
			runSay(g, "warning: no member of the pool could take it now: its slots would open at once to the open market at the max price, for any active prover; `provernet query pool` shows the pool")
		}
		for i, a := range q.Asks {
			runSay(g, "  drawn now, slot %d would go to %s (ask %d: %d uprv/Mcycle, %d blocks); the block that includes it draws with its own id and seed", i, a.Prover, a.ID, a.Price, a.Latency)
		}
		return
	}
	if len(q.Asks) == 0 {
		runSay(g, "warning: no ask would match it now: it will fail at once (no_matching_ask) unless one is set first; `provernet query market %s` shows the book", q.Program)
		return
	}
	for i, a := range q.Asks {
		runSay(g, "  slot %d would go to %s (ask %d: %d uprv/Mcycle, %d blocks)", i, a.Prover, a.ID, a.Price, a.Latency)
	}
}

// printMarketFee is query fee's quote of a market Run: its escrow and the
// asks it would match now.
func printMarketFee(w io.Writer, q *wire.FeeQuote, m *client.MarketRequest) {
	fmt.Fprintf(w, "%s Run: escrow %s (%d uprv) = %d provers x %d uprv per slot (max price %d uprv/Mcycle x %d Mcycles); the asks matched are paid, the rest refunded\n",
		m.Mechanism, formatAmount(q.Fee), q.Fee, q.Provers, q.PerSlot, q.PricePerMcycle, q.Mcycles)
	switch {
	case len(q.Asks) == 0 && m.Mechanism == "pool":
		fmt.Fprintln(w, "  no member of the pool could take it now: its slots would open at once to the open market at the max price; `provernet query pool` shows the pool")
	case len(q.Asks) == 0:
		fmt.Fprintf(w, "  no ask would match it now: it would fail at once (no_matching_ask); `provernet query market %s` shows the book\n", q.Program)
	}
	for i, a := range q.Asks {
		fmt.Fprintf(w, "  slot %d would go to %s (ask %d: %d uprv/Mcycle, %d blocks)\n", i, a.Prover, a.ID, a.Price, a.Latency)
	}
}

// printMissed lists the asks a market Run missed (the members a pool
// Run could not draw, its slots then open to the open market).
func printMissed(w io.Writer, ms []wire.AskMiss, mechanism string) {
	switch {
	case len(ms) == 0 && mechanism == "pool":
		fmt.Fprintln(w, "  the pool of the program's class had no members this epoch")
		return
	case len(ms) == 0:
		fmt.Fprintln(w, "  no ask in the book serves this program or its class: none is set, or every prover that set one is inactive or busy (a prover holding max_concurrent slots is out of the book until one frees)")
		return
	}
	fmt.Fprintf(w, "  the nearest asks it missed:\n  %-42s %5s %10s %8s  %s\n", "PROVER", "ASK", "PRICE", "LATENCY", "WHY")
	for _, m := range ms {
		fmt.Fprintf(w, "  %-42s %5d %10d %8d  %s\n", m.Prover, m.ID, m.Price, m.Latency, missReason(m.Reason))
	}
}

// missReason words a miss's reason.
func missReason(r string) string {
	if s, ok := map[string]string{
		"price": "price above --max-price", "latency": "latency above --max-latency", "program": "serves neither the program nor its class",
		"denied": "on --deny", "not_allowed": "not on --allow", "inactive": "its prover is not active",
		"hardware": "its prover lacks the program's hardware", "capacity": "its prover has no room",
		"not_drawn": "a pool member the draw did not pick",
	}[r]; ok {
		return s
	}
	return r
}

// unmatchedHint is the hint of a market Run that matched nothing.
func unmatchedHint(rep *runReport) string {
	var price, latency bool
	for _, m := range rep.Missed {
		price = price || m.Reason == "price"
		latency = latency || m.Reason == "latency"
	}
	var parts []string
	if price {
		parts = append(parts, "raise --max-price")
	}
	if latency {
		parts = append(parts, "raise --max-latency (or --deadline)")
	}
	parts = append(parts, "see the book with `provernet query market "+rep.Program+"`")
	return "no ask matched the order; the escrow was refunded whole: " + strings.Join(parts, ", ")
}

// printMatch shows how a market or pool Run was matched (query
// allocation).
func printMatch(w io.Writer, a *wire.Allocation) {
	m := a.Market
	if m.Pool != nil {
		fmt.Fprintf(w, "workload %s drawn at height %d in the %s pool of epoch %d (%d members), k %d: max price %d uprv/Mcycle, max latency %d blocks\n",
			a.Workload, a.Height, m.Pool.Class, m.Pool.Epoch, m.Pool.Members, a.K, m.MaxPrice, m.MaxLatency)
		fmt.Fprintln(w, "  RANK is a member's place among those that could take the Run; slot j took the one at PoolDrawKey(seed, workload, j) mod the number left")
	} else {
		fmt.Fprintf(w, "workload %s matched at height %d by %s, k %d: max price %d uprv/Mcycle, max latency %d blocks, priority %s\n",
			a.Workload, a.Height, a.Mechanism, a.K, m.MaxPrice, m.MaxLatency, m.Priority)
	}
	fmt.Fprintf(w, "  seed  %s\n", a.Seed)
	fmt.Fprintf(w, "  %-5s %-42s %5s %10s %8s %6s  %s\n", "RANK", "PROVER", "ASK", "PRICE", "LATENCY", "REP", "VERDICT")
	for _, c := range m.Candidates {
		rank := "-"
		if c.Rank >= 0 {
			rank = strconv.Itoa(c.Rank)
		}
		fmt.Fprintf(w, "  %-5s %-42s %5d %10d %8d %6d  %s\n", rank, c.Prover, c.Ask, c.Price, c.Latency, c.Reputation, c.Reason)
	}
	for i, p := range m.Taken {
		fmt.Fprintf(w, "  slot %d -> %s\n", i, p)
	}
	for _, s := range a.Slots {
		fmt.Fprintf(w, "  recorded slot %d: allocated to %s, now %s\n", s.Index, orNone(s.AllocatedTo), s.State)
	}
	if a.Agrees {
		fmt.Fprintln(w, "agrees: the chain's slots are the asks taken")
	} else {
		fmt.Fprintln(w, "DISAGREES: the chain's slots differ from the recomputed match")
	}
}

func orNone(s string) string {
	if s == "" {
		return "nobody"
	}
	return s
}

// parseAskFlags reads start's --ask flags: price=P,latency=L and one or
// more of class=cpu|gpu and program=ID (a 64-hex-digit id), optionally
// id=N (default: the flag's position, from 1).
func parseAskFlags(flags []string) ([]*pb.SetAsk, error) {
	var out []*pb.SetAsk
	for i, f := range flags {
		a, err := parseAskFlag(f, uint32(i+1))
		if err != nil {
			return nil, cli.WithHint(fmt.Errorf("--ask %q: %w", f, err), "e.g. --ask price=5,latency=20,class=cpu or --ask id=2,price=3,latency=40,program=3fa2...")
		}
		out = append(out, a)
	}
	return out, nil
}

func parseAskFlag(f string, id uint32) (*pb.SetAsk, error) {
	spec := client.AskSpec{ID: id}
	for _, kv := range strings.Split(f, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=value", kv)
		}
		var err error
		switch k {
		case "id":
			var n uint64
			n, err = strconv.ParseUint(v, 10, 32)
			spec.ID = uint32(n)
		case "price":
			spec.Price, err = strconv.ParseUint(v, 10, 64)
		case "latency":
			spec.Latency, err = strconv.ParseInt(v, 10, 64)
		case "class":
			if v != "cpu" && v != "gpu" {
				return nil, fmt.Errorf("class %q is not cpu or gpu", v)
			}
			spec.Classes = append(spec.Classes, v)
		case "program":
			spec.Programs = append(spec.Programs, v)
		default:
			return nil, fmt.Errorf("unknown key %q (want id, price, latency, class, program)", k)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	switch {
	case spec.Price == 0:
		return nil, errors.New("price must be at least 1 uprv per mega-cycle")
	case spec.Latency < 1:
		return nil, errors.New("latency must be at least 1 block")
	case len(spec.Programs)+len(spec.Classes) == 0:
		return nil, errors.New("name a class or a program it serves")
	}
	m, err := client.SetAskMsg(spec)
	if err != nil {
		return nil, err
	}
	return m.GetSetAsk(), nil
}
