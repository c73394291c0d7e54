package protocol_test

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// cmd is one scenario command's arguments, checked as they are read. A
// value that does not parse, a required argument that is missing or
// empty, a flag given a value, and (in done) any argument or input line
// the command did not read fail the test with the command's file:line, so
// a typo in a script is an error rather than a silently different story.
type cmd struct {
	t    testing.TB
	d    *datadriven.TestData
	used []bool // per d.CmdArgs
}

func newCmd(t testing.TB, d *datadriven.TestData) *cmd {
	return &cmd{t: t, d: d, used: make([]bool, len(d.CmdArgs))}
}

// fail stops the test at the command's position.
func (c *cmd) fail(format string, a ...any) {
	c.t.Helper()
	c.t.Fatalf("%s: %s: %s", c.d.Pos, c.d.Cmd, fmt.Sprintf(format, a...))
}

// lookup finds key=value (or a bare key) and marks it read.
func (c *cmd) lookup(key string) (datadriven.CmdArg, bool) {
	c.t.Helper()
	found := -1
	for i, a := range c.d.CmdArgs {
		if a.Key == key {
			if found >= 0 {
				c.fail("%s given twice", key)
			}
			found = i
		}
	}
	if found < 0 {
		return datadriven.CmdArg{}, false
	}
	c.used[found] = true
	return c.d.CmdArgs[found], true
}

// value is key's one non-empty value; def if absent ("" makes it
// required).
func (c *cmd) value(key, def string) string {
	c.t.Helper()
	a, ok := c.lookup(key)
	if !ok {
		if def == "" {
			c.fail("missing %s=", key)
		}
		return def
	}
	if len(a.Vals) != 1 || a.Vals[0] == "" {
		c.fail("%s needs one value, got %q", key, a.Vals)
	}
	return a.Vals[0]
}

// str is a required value.
func (c *cmd) str(key string) string { c.t.Helper(); return c.value(key, "") }

// opt is an optional value: def if absent.
func (c *cmd) opt(key, def string) string {
	c.t.Helper()
	if _, ok := c.find(key); !ok {
		return def
	}
	return c.value(key, "")
}

// has reports whether key was given (with a value or without), without
// reading it.
func (c *cmd) has(key string) bool { _, ok := c.find(key); return ok }

func (c *cmd) find(key string) (datadriven.CmdArg, bool) {
	for _, a := range c.d.CmdArgs {
		if a.Key == key {
			return a, true
		}
	}
	return datadriven.CmdArg{}, false
}

// uint is an unsigned integer of at most bits bits; def is used when the
// argument is absent ("" makes it required).
func (c *cmd) uint(key, def string, bits int) uint64 {
	c.t.Helper()
	v := c.value(key, def)
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		c.fail("%s=%s is not an unsigned %d-bit integer", key, v, bits)
	}
	return n
}

// int is a signed 64-bit integer; def as for uint.
func (c *cmd) int(key, def string) int64 {
	c.t.Helper()
	v := c.value(key, def)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		c.fail("%s=%s is not an integer", key, v)
	}
	return n
}

// flag reports whether the bare word key was given; key=value is an
// error.
func (c *cmd) flag(key string) bool {
	c.t.Helper()
	a, ok := c.lookup(key)
	if ok && len(a.Vals) > 0 {
		c.fail("%s takes no value, got %s=%s", key, key, strings.Join(a.Vals, ","))
	}
	return ok
}

// list is a required comma-separated list of non-empty names.
func (c *cmd) list(key string) []string {
	c.t.Helper()
	a, ok := c.lookup(key)
	if !ok {
		c.fail("missing %s=", key)
	}
	var out []string
	for _, v := range a.Vals {
		out = append(out, strings.Split(v, ",")...)
	}
	for _, name := range out {
		if name == "" {
			c.fail("%s=%s has an empty element", key, strings.Join(a.Vals, ","))
		}
	}
	return out
}

// bare returns the command's n bare words (workload w1, open-as-user
// w1/0 alice), in order; more or fewer is an error.
func (c *cmd) bare(n int) []string {
	c.t.Helper()
	var out []string
	for i, a := range c.d.CmdArgs {
		if len(a.Vals) == 0 && !c.used[i] {
			c.used[i] = true
			out = append(out, a.Key)
		}
	}
	if len(out) != n {
		c.fail("want %d bare argument(s), got %q", n, out)
	}
	return out
}

// rest returns every argument not read yet, marking them read.
func (c *cmd) rest() []datadriven.CmdArg {
	var out []datadriven.CmdArg
	for i, a := range c.d.CmdArgs {
		if !c.used[i] {
			c.used[i] = true
			out = append(out, a)
		}
	}
	return out
}

// done fails on anything the command did not read: an unknown argument,
// a stray word, or lines between the command and its ----.
func (c *cmd) done() {
	c.t.Helper()
	for i, a := range c.d.CmdArgs {
		if !c.used[i] {
			c.fail("unknown argument %q", a.String())
		}
	}
	if strings.TrimSpace(c.d.Input) != "" {
		c.fail("unexpected input lines %q", c.d.Input)
	}
}

// slotRef parses W/I (w1/0) into a workload name and slot index.
func (c *cmd) slotRef(ref string) (string, uint32) {
	c.t.Helper()
	name, slot, ok := strings.Cut(ref, "/")
	n, err := strconv.ParseUint(slot, 10, 32)
	if !ok || name == "" || err != nil {
		c.fail("%q is not WORKLOAD/SLOT", ref)
	}
	return name, uint32(n)
}

// account parses NAME:AMOUNT.
func (c *cmd) account(spec string) (string, uint64) {
	c.t.Helper()
	name, bal, ok := strings.Cut(spec, ":")
	n, err := strconv.ParseUint(bal, 10, 64)
	if !ok || name == "" || err != nil {
		c.fail("%q is not NAME:BALANCE", spec)
	}
	return name, n
}

// tiers parses reward tiers A:B:C (basis points).
func (c *cmd) tiers(v string) []int {
	c.t.Helper()
	var out []int
	for _, x := range strings.Split(v, ":") {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > math.MaxUint32 {
			c.fail("reward_tiers_bp=%s: %q is not a tier", v, x)
		}
		out = append(out, n)
	}
	return out
}

// TestScenarioParserRejects feeds the scenario runner scripts with one
// malformed command after a valid start (genesis, a deploy and a Run) and
// expects each to fail the test, naming the script's line and what is
// wrong. The outputs are not compared: only the failures matter here.
func TestScenarioParserRejects(t *testing.T) {
	cases := []struct {
		name, line, want string
	}{
		{"unknown command", "stak from=alice amount=10", `stak: unknown command`},
		{"bad value", "stake from=alice amount=ten", "amount=ten is not an unsigned"},
		{"negative value", "stake from=alice amount=-5", "amount=-5 is not an unsigned"},
		{"missing value", "stake from=alice amount=", "amount needs one value"},
		{"missing argument", "stake from=alice", "missing amount="},
		{"argument twice", "stake from=alice amount=1 amount=2", "amount given twice"},
		{"misspelt argument", "stake from=alice amount=10 amuont=3", `unknown argument "amuont=3"`},
		{"trailing word", "stake from=alice amount=10 please", `unknown argument "please"`},
		{"trailing junk", "account alice )", "want 1 bare argument(s)"},
		{"input lines", "stake from=alice amount=10\nand more", "unexpected input lines"},
		{"flag with a value", "finalize-block full=yes", "full takes no value"},
		{"too many blocks", "finalize-block n=100000", "n=100000 is not an unsigned 16-bit"},
		{"unknown parameter", "genesis accounts=alice:1 max_tx=5", `unknown parameter "max_tx"`},
		{"bad parameter", "genesis accounts=alice:1 vote_window=soon", "vote_window=soon is not an integer"},
		{"parameter out of range", "genesis accounts=alice:1 committee_size=-1", "parameters do not fit"},
		{"bad account", "genesis accounts=alice:lots", `"alice:lots" is not NAME:BALANCE`},
		{"bad tiers", "genesis accounts=alice:1 reward_tiers_bp=50:x", `"x" is not a tier`},
		{"bad vote", "vote from=alice w1/0=maybe", "want w1/0=valid|invalid|copied|judged"},
		{"vote on nothing", "vote from=alice w9/0=valid", `unknown workload "w9"`},
		{"bad slot reference", "committee w1/x", `"w1/x" is not WORKLOAD/SLOT`},
		{"bad outcome", "submit from=alice workload=w1 outcome=maybe", "outcome=maybe: want proof or fail"},
		{"empty list element", "holdings names=alice,,bob", "has an empty element"},
		{"bad gpu", "register from=alice gpus=rtx", `"rtx" is not MODEL:MB`},
	}
	start := "genesis accounts=alice:1000000,bob:1000000\n----\n\n" +
		"deploy from=alice as=prog\n----\n\n" +
		"run from=alice as=w1 program=prog\n----\n\n"
	if failure := runScenarioScript(t, start+"stake from=alice amount=10\n----\n\n"); failure != "" {
		t.Fatalf("a well-formed script failed: %s", failure)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			failure := runScenarioScript(t, start+c.line+"\n----\n\n")
			if failure == "" {
				t.Fatalf("%q was accepted", c.line)
			}
			if !strings.Contains(failure, c.want) || !strings.Contains(failure, "<string>:10: ") {
				t.Fatalf("failure %q: want it to name line 10 and say %q", failure, c.want)
			}
		})
	}
	if failure := runScenarioScript(t, "account alice\n----\nalice balance=0 nonce=0\n"); !strings.Contains(failure, "must start with genesis") {
		t.Errorf("a story without genesis: %q", failure)
	}
}

// runScenarioScript runs script through a fresh scenario and returns the
// first failure it reported ("" if none). A failure stops the script as
// t.Fatal would, so the script runs on a goroutine of its own.
func runScenarioScript(t *testing.T, script string) string {
	rec := &failRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := &scenario{}
		datadriven.RunTestFromStringAny(rec, script, func(tb testing.TB, d *datadriven.TestData) string {
			s.handle(tb, d)
			return d.Expected
		})
	}()
	<-done
	return rec.failure
}

// failRecorder is a testing.TB whose failures are recorded instead of
// failing the test; Fatal ends the calling goroutine, as testing's does.
type failRecorder struct {
	testing.TB
	failure string
}

func (f *failRecorder) note(msg string) {
	if f.failure == "" {
		f.failure = msg
	}
}

func (f *failRecorder) Helper()                        {}
func (f *failRecorder) Fail()                          { f.note("failed") }
func (f *failRecorder) FailNow()                       { f.note("failed"); runtime.Goexit() }
func (f *failRecorder) Failed() bool                   { return f.failure != "" }
func (f *failRecorder) Error(a ...any)                 { f.note(fmt.Sprint(a...)) }
func (f *failRecorder) Errorf(format string, a ...any) { f.note(fmt.Sprintf(format, a...)) }
func (f *failRecorder) Fatal(a ...any)                 { f.note(fmt.Sprint(a...)); runtime.Goexit() }
func (f *failRecorder) Fatalf(format string, a ...any) {
	f.note(fmt.Sprintf(format, a...))
	runtime.Goexit()
}
