//! A throwaway PostgreSQL cluster, plain or TLS with a throwaway CA.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::{BedError, free_port, run};

/// How to start the cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostgresOptions {
    /// Serve TLS with a server certificate for 127.0.0.1/localhost signed by a fresh CA.
    pub tls: bool,
    /// Log every statement (`log_statement=all`), to check what reaches the server log.
    pub log_statements: bool,
    /// Log every login (`log_connections=on`), to count them.
    pub log_connections: bool,
}

/// A running PostgreSQL cluster owned by the test; stopped and deleted on drop.
#[derive(Debug)]
pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    /// Initialises and starts a cluster on a free port. The superuser is
    /// `postgres`, trusted over the Unix socket; TCP logins need a
    /// SCRAM-SHA-256 password.
    pub fn start(options: PostgresOptions) -> Result<Postgres, BedError> {
        let bin = bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("bed-pg-")
            .tempdir()
            .map_err(|e| BedError(format!("temp dir: {e}")))?;
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path()))?;
        }
        let mut pg = Postgres {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        let data = pg.data_dir();
        pg.run_as_owner(pg.bin.join("initdb"), |c| {
            c.arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                ])
                .args(["-E", "UTF8", "--locale=C.UTF-8"]);
        })?;
        let mut settings = vec![
            "listen_addresses=127.0.0.1".to_owned(),
            "max_connections=40".to_owned(),
            format!("unix_socket_directories={}", pg.dir.path().display()),
        ];
        if options.tls {
            pg.make_certificates()?;
            settings.push("ssl=on".to_owned());
            settings.push(format!("ssl_cert_file={}", pg.path("server.crt").display()));
            settings.push(format!("ssl_key_file={}", pg.path("server.key").display()));
        }
        if options.log_statements {
            settings.push("log_statement=all".to_owned());
        }
        if options.log_connections {
            settings.push("log_connections=on".to_owned());
        }
        // Settings go into postgresql.conf, so a stopped server starts again
        // as it was. A port can be taken between probing and binding: try a
        // few (a later `port` line wins).
        let mut last = None;
        for _ in 0..3 {
            pg.port = free_port()?;
            let mut conf = String::from("\n# goal-mandala-ops test bed\n");
            for setting in settings.iter().chain([&format!("port = {}", pg.port)]) {
                let (key, value) = setting.split_once('=').unwrap_or((setting, ""));
                conf.push_str(&format!("{} = '{}'\n", key.trim(), value.trim()));
            }
            append(&data.join("postgresql.conf"), &conf)?;
            match pg.start_again() {
                Ok(()) => return Ok(pg),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| BedError("postgres did not start".into())))
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA certificate (PEM) that signed the server's, when started with TLS.
    pub fn ca_file(&self) -> PathBuf {
        self.path("ca.crt")
    }

    /// The server log file.
    pub fn server_log(&self) -> PathBuf {
        self.path("server.log")
    }

    /// Runs SQL as the superuser over the Unix socket and returns psql's output.
    pub fn psql(&self, sql: &str) -> Result<String, BedError> {
        self.psql_with("postgres", sql, "")
    }

    /// Like [`Postgres::psql`], kept out of the server log even with
    /// `log_statement=all` (for a test's own set-up with known passwords).
    pub fn psql_unlogged(&self, sql: &str) -> Result<String, BedError> {
        self.psql_with("postgres", sql, "-c log_statement=none")
    }

    /// Runs SQL as the superuser in `database` (a test's schema and rows).
    pub fn psql_in(&self, database: &str, sql: &str) -> Result<String, BedError> {
        self.psql_with(database, sql, "")
    }

    fn psql_with(&self, database: &str, sql: &str, options: &str) -> Result<String, BedError> {
        run(Command::new("psql")
            .env("PGOPTIONS", options)
            .arg("-h")
            .arg(self.dir.path())
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-tAc", sql]))
    }

    /// Stops the server (a "database down" scenario); `start_again` brings it back.
    pub fn stop(&self) -> Result<(), BedError> {
        self.run_as_owner(self.bin.join("pg_ctl"), |c| {
            c.arg("-D")
                .arg(self.data_dir())
                .args(["-m", "fast", "-w", "stop"]);
        })
        .map(drop)
    }

    /// Starts a stopped server again with its previous settings.
    pub fn start_again(&self) -> Result<(), BedError> {
        let log = self.server_log();
        self.run_as_owner(self.bin.join("pg_ctl"), |c| {
            c.arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "30", "start"]);
        })
        .map(drop)
    }

    fn data_dir(&self) -> PathBuf {
        self.path("data")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run_as_owner(
        &self,
        program: PathBuf,
        args: impl FnOnce(&mut Command),
    ) -> Result<String, BedError> {
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        args(&mut command);
        run(&mut command)
    }

    fn make_certificates(&self) -> Result<(), BedError> {
        let dir = self.dir.path();
        let openssl = |args: &[&str]| run(Command::new("openssl").current_dir(dir).args(args));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=goal-mandala-ops test bed CA",
        ])?;
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ])?;
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .map_err(|e| BedError(format!("writing san.ext: {e}")))?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ])?;
        if self.as_postgres {
            run(Command::new("chown")
                .args(["postgres:postgres", "server.key", "server.crt", "ca.crt"])
                .current_dir(dir))?;
        }
        run(Command::new("chmod")
            .args(["600", "server.key"])
            .current_dir(dir))
        .map(drop)
    }
}

fn append(path: &Path, text: &str) -> Result<(), BedError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| BedError(format!("writing {}: {e}", path.display())))
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// `PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> Result<PathBuf, BedError> {
    if let Some(explicit) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(explicit));
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|e| {
            BedError(format!(
                "PostgreSQL not installed ({}: {e})",
                root.display()
            ))
        })?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| BedError("no PostgreSQL server binaries under /usr/lib/postgresql".into()))
}
