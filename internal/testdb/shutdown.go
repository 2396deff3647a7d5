package testdb

// Shutdown stops the PostgreSQL cluster and the MariaDB server the harness
// started, if any, and removes their directories; PostgresDSN and MySQLDSN
// report them as unavailable afterwards. Tests get this from Main; programs that use the harness
// outside go test (internal/bench/cmd/report) call it before exiting.
func Shutdown() {
	shutdownMySQL()
	shutdownPostgres()
}
