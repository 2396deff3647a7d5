package testdb

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// startAttempts bounds retries when the chosen TCP port is taken meanwhile.
const startAttempts = 5

// cluster is a throwaway PostgreSQL cluster owned by this test binary.
type cluster struct {
	initdb, pgctl string // tool paths
	runuser       string // non-empty when running as root: run tools as postgres
	base          string // temp dir holding data/, postgres.log and the socket
	port          int
	watchdog      *exec.Cmd // stops the cluster if this process dies first
}

// startCluster initialises and starts a cluster in a new temp directory.
func startCluster() (*cluster, error) {
	c := &cluster{}
	var err error
	if c.initdb, c.pgctl, err = findTools(); err != nil {
		return nil, err
	}
	if err = c.prepareUser(); err != nil {
		return nil, err
	}
	if err = c.makeBase(); err != nil {
		return nil, err
	}
	if err = c.run(c.initdb, "-D", c.dataDir(), "-A", "trust", "-U", "postgres",
		"--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		_ = os.RemoveAll(c.base)
		return nil, fmt.Errorf("initdb failed: %w", err)
	}
	c.startWatchdog()
	if err = c.start(); err != nil {
		c.destroy()
		return nil, err
	}
	return c, nil
}

// findTools locates initdb and pg_ctl on PATH or, failing that, in the
// highest-versioned /usr/lib/postgresql/*/bin.
func findTools() (initdb, pgctl string, err error) {
	if i, err := exec.LookPath("initdb"); err == nil {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			return i, p, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool { return pgVersion(dirs[a]) > pgVersion(dirs[b]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if isExecutable(i) && isExecutable(p) {
			return i, p, nil
		}
	}
	return "", "", errors.New("set " + envPostgresDSN + " or install PostgreSQL (initdb not found)")
}

// pgVersion extracts the version from /usr/lib/postgresql/<version>/bin.
func pgVersion(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// isExecutable reports whether path is an executable regular file.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// prepareUser arranges to run the tools as the postgres user when root,
// since PostgreSQL refuses to run as root.
func (c *cluster) prepareUser() error {
	if os.Geteuid() != 0 {
		return nil
	}
	for _, p := range []string{"runuser", "/usr/sbin/runuser", "/sbin/runuser"} {
		if path, err := exec.LookPath(p); err == nil {
			c.runuser = path
			return nil
		}
	}
	return errors.New("running as root but runuser not found (needed to run PostgreSQL as the postgres user)")
}

// makeBase creates the temp directory, owned by postgres when root.
func (c *cluster) makeBase() error {
	parent := os.TempDir()
	if c.runuser != "" && !traversableByAll(parent) {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "softdelete-pg-")
	if err != nil {
		return err
	}
	c.base = dir
	if c.runuser == "" {
		return nil
	}
	if err := chownToPostgres(dir); err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	return nil
}

// traversableByAll reports whether every directory from dir up to / can be
// searched by other users (so the postgres user can reach dir).
func traversableByAll(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// chownToPostgres gives dir to the postgres OS user.
func chownToPostgres(dir string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root but no postgres OS user: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	return os.Chown(dir, uid, gid)
}

func (c *cluster) dataDir() string { return filepath.Join(c.base, "data") }
func (c *cluster) logPath() string { return filepath.Join(c.base, "postgres.log") }

// command builds a command running tool, as the postgres user when root.
func (c *cluster) command(tool string, args ...string) *exec.Cmd {
	if c.runuser != "" {
		args = append([]string{"-u", "postgres", "--", tool}, args...)
		tool = c.runuser
	}
	cmd := exec.Command(tool, args...)
	cmd.Dir = c.base // the postgres user may not be able to access our cwd
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// run runs tool and returns an error including its output on failure.
func (c *cluster) run(tool string, args ...string) error {
	out, err := c.command(tool, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(tool), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// start starts the server on a free port, retrying with another port if
// the start fails (e.g. another test binary grabbed the port meanwhile).
func (c *cluster) start() error {
	var err error
	for i := 0; i < startAttempts; i++ {
		if c.port, err = freePort(); err != nil {
			return err
		}
		_ = os.Remove(c.logPath()) // keep only the last attempt's log
		if err = c.startOnce(); err == nil {
			return nil
		}
		c.stop() // in case a half-started server lingers
	}
	return fmt.Errorf("starting a temporary cluster in %s failed %d times; last: %w", c.base, startAttempts, err)
}

// startOnce runs pg_ctl start on c.port and waits for the server.
func (c *cluster) startOnce() error {
	opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1"+
		" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"+
		" -c max_connections=200", c.port, c.base)
	err := c.run(c.pgctl, "-w", "-t", "60", "-D", c.dataDir(), "-l", c.logPath(), "-o", opts, "start")
	if err != nil {
		return fmt.Errorf("%w\n--- %s (tail) ---\n%s", err, c.logPath(), c.logTail(30))
	}
	return nil
}

// freePort asks the kernel for a currently unused TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last n lines of the server log.
func (c *cluster) logTail(n int) string {
	b, err := os.ReadFile(c.logPath())
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// createDatabase creates a fresh database for this run and returns its DSN.
func (c *cluster) createDatabase() (string, error) {
	db, err := connect(c.dsn("postgres"))
	if err != nil {
		return "", err
	}
	defer closeQuietly(db)
	name := "softdelete_test_" + randomHex(6)
	if err := db.Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.dsn(name), nil
}

// dsn returns the DSN of database dbname in the cluster.
func (c *cluster) dsn(dbname string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", c.port, dbname)
}

// stopArgs returns the argv that stops the server immediately.
func (c *cluster) stopArgs() []string {
	return c.command(c.pgctl, "-D", c.dataDir(), "-m", "immediate", "stop").Args
}

// stop stops the server, ignoring errors (it may not be running).
func (c *cluster) stop() {
	_ = c.command(c.pgctl, "-D", c.dataDir(), "-m", "immediate", "stop").Run()
}

// destroy stops the server, the watchdog, and removes the directory.
func (c *cluster) destroy() {
	c.stop()
	if c.watchdog != nil {
		_ = syscall.Kill(-c.watchdog.Process.Pid, syscall.SIGKILL)
		_ = c.watchdog.Wait()
	}
	_ = os.RemoveAll(c.base)
}

// watchdogScript waits for process $1 to exit, then runs the remaining
// arguments after $2 (the stop command) and removes directory $2.
const watchdogScript = `p=$1 d=$2; shift 2
while kill -0 "$p" 2>/dev/null; do sleep 1; done
"$@" >/dev/null 2>&1; rm -rf "$d"`

// startWatchdog starts a detached shell that stops the cluster and removes
// its directory if this test binary dies without running Main's cleanup
// (a panicking test, a -timeout, a kill). Failure to start it is ignored.
func (c *cluster) startWatchdog() {
	args := append([]string{"-c", watchdogScript, "testdb-watchdog",
		strconv.Itoa(os.Getpid()), c.base}, c.stopArgs()...)
	cmd := exec.Command("/bin/sh", args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // survive Ctrl-C of the tests
	if cmd.Start() == nil {
		c.watchdog = cmd
	}
}
