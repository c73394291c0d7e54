// Package companion finds the binaries that provernet runs beside itself
// (provernet-sandbox for sandbox jobs, provernet-bench for `bench` and
// `sim`) and, when one is missing and provernet runs inside its own source
// tree, builds them there.
//
// Invariant: a companion is looked up in one order everywhere: the
// environment variable that names it, then beside the running executable,
// then on PATH. Building happens only when all three fail, only from a
// directory whose go.mod declares this module, and only into the running
// executable's directory, where the next lookup finds it.
package companion

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Module is the module path a source tree must declare to be built from.
const Module = "github.com/provernet/provernet"

// Names are the companion binaries, each built from ./cmd/<name>. A build
// makes all of them, so that a companion that runs another (provernet-bench
// runs provernet-sandbox) finds it too.
var Names = []string{"provernet-sandbox", "provernet-bench"}

// ErrNotFound is returned when a companion is neither found nor buildable.
var ErrNotFound = errors.New("not found")

// Find returns the path of the companion name: $env if set, else name
// beside the running executable, else name on PATH.
func Find(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	if p, ok := beside(name); ok {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s %w beside this binary or on PATH, and %s is not set", name, ErrNotFound, env)
}

// FindOrBuild is Find, and when that fails inside a source tree of this
// module, builds the companions beside the running executable (telling
// progress what it does) and returns the one asked for.
func FindOrBuild(name, env string, progress io.Writer) (string, error) {
	p, err := Find(name, env)
	if err == nil {
		return p, nil
	}
	root, ok := sourceRoot()
	if !ok {
		return "", err
	}
	buildOnce.Do(func() { buildErr = build(root, progress) })
	if buildErr != nil {
		return "", fmt.Errorf("%w; building it from %s failed: %w", err, root, buildErr)
	}
	if p, ok := beside(name); ok {
		return p, nil
	}
	return "", err
}

var (
	buildOnce sync.Once
	buildErr  error
)

// beside returns name in the running executable's directory, if there.
func beside(name string) (string, bool) {
	self, err := os.Executable()
	if err != nil {
		return "", false
	}
	p := filepath.Join(filepath.Dir(self), name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p, true
	}
	return "", false
}

// build runs `go build -o DIR/ ./cmd/<name>...` in root, DIR being the
// running executable's directory.
func build(root string, progress io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("no path for this binary: %w", err)
	}
	dir := filepath.Dir(self)
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is not on PATH: %w", err)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range Names {
		args = append(args, "./cmd/"+n)
	}
	if progress != nil {
		fmt.Fprintf(progress, "provernet: building %s into %s from the source tree at %s (first use)\n",
			strings.Join(Names, " and "), dir, root)
	}
	c := exec.Command(goTool, args...)
	c.Dir = root
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// sourceRoot walks up from the working directory to a go.mod that declares
// Module.
func sourceRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod at path has `module Module`.
func declaresModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == Module
		}
	}
	return false
}
