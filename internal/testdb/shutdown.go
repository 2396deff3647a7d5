package testdb

// Shutdown stops the PostgreSQL cluster the harness started, if any, and
// removes its directory; PostgresDSN reports PostgreSQL as unavailable
// afterwards. Tests get this from Main; programs that use the harness
// outside go test (internal/bench/cmd/report) call it before exiting.
func Shutdown() { shutdownPostgres() }
