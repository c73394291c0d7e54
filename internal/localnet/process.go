package localnet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// spawn starts n as a detached process of exe (its own process group, so a
// Ctrl-C in the terminal that ran `localnet` does not reach it), its output
// appended to its log, and writes its pid file. exited receives its exit
// once it ends while this process still runs.
func spawn(dir, exe string, n Node) (pid int, exited <-chan error, err error) {
	logf, err := os.OpenFile(LogFile(dir, n.Name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, nil, err
	}
	defer logf.Close()
	cmd := exec.Command(exe, n.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, nil, fmt.Errorf("start %s: %w", n.Name, err)
	}
	pid = cmd.Process.Pid
	if err := os.WriteFile(PIDFile(dir, n.Name), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return 0, nil, err
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	return pid, ch, nil
}

// runningPID returns the pid of n's process if it runs: its pid file names
// a live process (not a zombie) whose command line is this node's.
func runningPID(dir string, n Node) int {
	b, err := os.ReadFile(PIDFile(dir, n.Name))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	if !alive(pid, n.Home) {
		return 0
	}
	return pid
}

// alive reports whether pid runs and, where /proc tells, is a node of home
// (a recycled pid is not mistaken for it).
func alive(pid int, home string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !procMounted() // no /proc: trust kill(0)
	}
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
		return false // exited, not yet reaped
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	for _, arg := range bytes.Split(cmdline, []byte{0}) {
		if string(arg) == home {
			return true
		}
	}
	return false
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}
