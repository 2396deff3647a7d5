package testdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// mariadbServer is a throwaway MariaDB server owned by this test binary:
// its own data directory, socket and 127.0.0.1 port, no configuration file
// read (--no-defaults).
type mariadbServer struct {
	installDB, mariadbd string // tool paths
	osUser              string // --user when running as root: "mysql", or "root" when it does not exist
	base                string // temp dir holding data/, the socket, the pid file and the error log
	port                int
	cmd                 *exec.Cmd
	exited              chan struct{} // closed when cmd has exited
	watchdog            *exec.Cmd     // stops the server if this process dies first
}

// startMariaDB initialises a data directory and starts a server on it.
func startMariaDB() (*mariadbServer, error) {
	s := &mariadbServer{}
	var err error
	if s.installDB, s.mariadbd, err = findMariaDBTools(); err != nil {
		return nil, err
	}
	s.osUser = mariadbOSUser()
	if err = s.makeBase(); err != nil {
		return nil, err
	}
	if err = s.install(); err != nil {
		_ = os.RemoveAll(s.base)
		return nil, err
	}
	if err = s.start(); err != nil {
		s.destroy()
		return nil, err
	}
	return s, nil
}

// findMariaDBTools locates mariadb-install-db (or mysql_install_db) and
// mariadbd (or mysqld) on PATH, /usr/sbin, /usr/bin and /usr/libexec.
func findMariaDBTools() (installDB, server string, err error) {
	installDB = findTool("mariadb-install-db", "mysql_install_db")
	server = findTool("mariadbd", "mysqld")
	if installDB == "" || server == "" {
		return "", "", errors.New("set " + envMySQLDSN + " or install MariaDB (apt-get install mariadb-server: mariadb-install-db and mariadbd not found)")
	}
	return installDB, server, nil
}

// findTool returns the path of the first of names found, or "".
func findTool(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/libexec", "/usr/local/bin", "/usr/local/sbin"} {
			if p := filepath.Join(dir, n); isExecutable(p) {
				return p
			}
		}
	}
	return ""
}

// mariadbOSUser is the user the server runs as when this process is root
// (mariadbd refuses to run as root without --user=root): mysql when that
// user exists, root otherwise; "" when not root.
func mariadbOSUser() string {
	if os.Geteuid() != 0 {
		return ""
	}
	if _, err := user.Lookup("mysql"); err == nil {
		return "mysql"
	}
	return "root"
}

// makeBase creates the temp directory, owned by the server's user.
func (s *mariadbServer) makeBase() error {
	parent := os.TempDir()
	if s.osUser == "mysql" && !traversableByAll(parent) {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "softdelete-mariadb-")
	if err != nil {
		return err
	}
	s.base = dir
	err = os.Mkdir(s.tmpDir(), 0o700)
	if err == nil && s.osUser == "mysql" {
		err = errors.Join(chownTo("mysql", dir), chownTo("mysql", s.tmpDir()))
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	return nil
}

// chownTo gives dir to the named OS user.
func chownTo(name, dir string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	return os.Chown(dir, uid, gid)
}

func (s *mariadbServer) dataDir() string { return filepath.Join(s.base, "data") }
func (s *mariadbServer) socket() string  { return filepath.Join(s.base, "mysqld.sock") }
func (s *mariadbServer) logPath() string { return filepath.Join(s.base, "error.log") }

// tmpDir holds the server's temporary tables: its own, so nothing that
// cleans the system's temporary directory meanwhile removes them.
func (s *mariadbServer) tmpDir() string { return filepath.Join(s.base, "tmp") }

// userArgs is --user=NAME when running as root.
func (s *mariadbServer) userArgs() []string {
	if s.osUser == "" {
		return nil
	}
	return []string{"--user=" + s.osUser}
}

// install creates the system tables; root may log in over TCP without a
// password (the server listens on 127.0.0.1 only and lives for one test
// binary).
func (s *mariadbServer) install() error {
	args := append([]string{"--no-defaults"}, s.userArgs()...)
	args = append(args, "--datadir="+s.dataDir(), "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve")
	cmd := exec.Command(s.installDB, args...)
	cmd.Dir = s.base
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(s.installDB), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// start starts the server on a free port, retrying with another port if the
// start fails (another process grabbed the port meanwhile).
func (s *mariadbServer) start() error {
	var err error
	for i := 0; i < startAttempts; i++ {
		if s.port, err = freePort(); err != nil {
			return err
		}
		_ = os.Remove(s.logPath()) // keep only the last attempt's log
		if err = s.startOnce(); err == nil {
			return nil
		}
		s.stop()
	}
	return fmt.Errorf("starting a temporary MariaDB in %s failed %d times; last: %w", s.base, startAttempts, err)
}

// serverArgs are the options of the server: private port and socket, UTC,
// utf8mb4, durability traded for speed.
func (s *mariadbServer) serverArgs() []string {
	args := append([]string{"--no-defaults"}, s.userArgs()...)
	return append(args,
		"--datadir="+s.dataDir(), "--socket="+s.socket(), "--port="+strconv.Itoa(s.port),
		"--bind-address=127.0.0.1", "--pid-file="+filepath.Join(s.base, "mysqld.pid"),
		"--log-error="+s.logPath(), "--tmpdir="+s.tmpDir(), "--skip-name-resolve", "--skip-log-bin",
		"--character-set-server=utf8mb4", "--default-time-zone=+00:00",
		"--max-connections=500", "--innodb-buffer-pool-size=128M",
		"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--sync-binlog=0",
		"--innodb-lock-wait-timeout=20")
}

// startOnce starts mariadbd and waits until it accepts connections.
func (s *mariadbServer) startOnce() error {
	cmd := exec.Command(s.mariadbd, s.serverArgs()...)
	cmd.Dir = s.base
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // survive Ctrl-C of the tests; Main stops it
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(s.exited)
	s.startWatchdog()
	if err := s.waitReady(60 * time.Second); err != nil {
		return fmt.Errorf("%w\n--- %s (tail) ---\n%s", err, s.logPath(), tailOf(s.logPath(), 30))
	}
	return nil
}

// waitReady polls the port until the server answers a ping.
func (s *mariadbServer) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.exited:
			return errors.New("mariadbd exited during start-up")
		default:
		}
		if err := s.ping(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("mariadbd not ready after %s: %w", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ping connects once and pings.
func (s *mariadbServer) ping() error {
	conn, err := net.DialTimeout("tcp", s.config().Addr, time.Second)
	if err != nil {
		return err
	}
	_ = conn.Close()
	c, err := gomysql.NewConnector(s.config())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	dc, err := c.Connect(ctx)
	if err != nil {
		return err
	}
	return dc.Close()
}

// config is the client configuration of the server (no database selected).
func (s *mariadbServer) config() *gomysql.Config {
	c := gomysql.NewConfig()
	c.User, c.Net, c.Addr = "root", "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	c.ParseTime, c.Loc = true, time.UTC
	return c
}

// stop stops the server (SIGTERM, then SIGKILL after 20s) and waits for it.
func (s *mariadbServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
	s.stopWatchdog()
}

// destroy stops the server and the watchdog, and removes the directory.
func (s *mariadbServer) destroy() {
	s.stop()
	_ = os.RemoveAll(s.base)
}

// startWatchdog starts a detached shell that kills the server and removes
// its directory if this test binary dies without running Main's cleanup (a
// panicking test, a -timeout, a kill). Failure to start it is ignored.
func (s *mariadbServer) startWatchdog() {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "testdb-watchdog",
		strconv.Itoa(os.Getpid()), s.base, "kill", "-9", strconv.Itoa(s.cmd.Process.Pid))
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cmd.Start() == nil {
		s.watchdog = cmd
	}
}

// stopWatchdog ends the watchdog of a server that stopped normally.
func (s *mariadbServer) stopWatchdog() {
	if s.watchdog != nil {
		_ = syscall.Kill(-s.watchdog.Process.Pid, syscall.SIGKILL)
		_ = s.watchdog.Wait()
		s.watchdog = nil
	}
}

// tailOf returns the last n lines of a file.
func tailOf(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
