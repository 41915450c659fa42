//! A Rust shell over the core's shared-budget codec, for tests and the benchmark: a tiny RESP2
//! client (no dependency), a `redis-server` instance owned by the test (free port, no persistence,
//! stopped by pid on drop), and [`RedisStore`], which follows the protocol documented in
//! `pacekeeper::shared` (EVALSHA, NOSCRIPT → EVAL, decode; every failure a `StoreError`).

use pacekeeper::shared::{self, Reply, Request, StoreError, StoreErrorKind};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A RESP2 value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`
    Error(String),
    /// `:42`
    Int(i64),
    /// `$n` (None: nil)
    Bulk(Option<Vec<u8>>),
    /// `*n` (None: nil)
    Array(Option<Vec<Value>>),
}

impl Value {
    /// The bulk string as UTF-8 text.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            Value::Simple(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The array's items (empty for nil or a non-array).
    pub fn items(&self) -> Vec<Value> {
        match self {
            Value::Array(Some(v)) => v.clone(),
            _ => Vec::new(),
        }
    }
}

/// One connection, with a read/write timeout on every command.
#[derive(Debug)]
pub struct Conn {
    r: BufReader<TcpStream>,
}

fn bad(m: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, m.to_owned())
}

impl Conn {
    /// Connects within `timeout`; every command then times out after `timeout` too.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Conn> {
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        Ok(Conn {
            r: BufReader::new(s),
        })
    }

    /// Sends one command (each argument a bulk string) and reads its reply.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Value> {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            let a = a.as_ref();
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.r.get_mut().write_all(&buf)?;
        self.read()
    }

    fn line(&mut self) -> io::Result<String> {
        let mut l = String::new();
        if self.r.read_line(&mut l)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
        Ok(l.trim_end_matches("\r\n").to_owned())
    }

    fn read(&mut self) -> io::Result<Value> {
        let l = self.line()?;
        let (t, rest) = l.split_at(l.len().min(1));
        let num = || rest.parse::<i64>().map_err(|_| bad("bad length"));
        Ok(match t {
            "+" => Value::Simple(rest.to_owned()),
            "-" => Value::Error(rest.to_owned()),
            ":" => Value::Int(num()?),
            "$" => {
                let n = num()?;
                if n < 0 {
                    Value::Bulk(None)
                } else {
                    let mut b = vec![0; n as usize + 2];
                    self.r.read_exact(&mut b)?;
                    b.truncate(n as usize);
                    Value::Bulk(Some(b))
                }
            }
            "*" => {
                let n = num()?;
                if n < 0 {
                    Value::Array(None)
                } else {
                    let mut v = Vec::with_capacity(n as usize);
                    for _ in 0..n {
                        v.push(self.read()?);
                    }
                    Value::Array(Some(v))
                }
            }
            _ => return Err(bad("unknown reply type")),
        })
    }
}

/// A `redis-server` owned by the caller: its own port, directory and pid; stopped on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Its address on 127.0.0.1.
    pub addr: SocketAddr,
    dir: PathBuf,
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `redis-server` binary (`REDIS_SERVER` or the PATH's).
pub fn redis_binary() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
}

impl Server {
    /// Starts an instance and waits for `PING`. `None` when no binary exists and `CI` is not
    /// `true` (the caller skips, loudly); under `CI=true` a missing binary panics (a failure).
    #[allow(clippy::panic)]
    pub fn start() -> Option<Server> {
        let bin = redis_binary();
        let present = Command::new(&bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !present {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true and no {bin}: install it (make redis-server)");
            }
            eprintln!("SKIPPED: no {bin} (run `make redis-server`; under CI=true this fails)");
            return None;
        }
        for _ in 0..5 {
            if let Ok(s) = Server::try_start(&bin) {
                return Some(s);
            }
        }
        panic!("redis-server did not start");
    }

    fn try_start(bin: &str) -> io::Result<Server> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("pk-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let child = Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(status) = server.child.try_wait()? {
                return Err(io::Error::other(format!("exited: {status}")));
            }
            if let Ok(mut c) = server.conn() {
                if c.cmd(&["PING"])? == Value::Simple("PONG".into()) {
                    return Ok(server);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::other("no PONG within 5 s"))
    }

    /// A new connection (1 s timeout).
    pub fn conn(&self) -> io::Result<Conn> {
        Conn::connect(self.addr, Duration::from_secs(1))
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal to the server's pid (`STOP`, `CONT`, `KILL`).
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status();
    }

    /// Stops the server now (by pid) and waits for it.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Wall-clock epoch µs (the shell's clock; the core never reads one).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// A shared-budget store over one Redis connection: the shell every runtime writes.
#[derive(Debug)]
pub struct RedisStore {
    addr: SocketAddr,
    timeout: Duration,
    conn: Option<Conn>,
    /// How many calls fell back from EVALSHA to EVAL (NOSCRIPT).
    pub evals: u64,
}

fn store_err(e: &io::Error) -> StoreError {
    let kind = match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => StoreErrorKind::Timeout,
        _ => StoreErrorKind::Unavailable,
    };
    StoreError {
        kind,
        message: e.to_string(),
    }
}

impl RedisStore {
    /// A store on `addr`; every command (connect included) bounded by `timeout`. No offline queue.
    pub fn new(addr: SocketAddr, timeout: Duration) -> RedisStore {
        RedisStore {
            addr,
            timeout,
            conn: None,
            evals: 0,
        }
    }

    fn send(&mut self, args: &[&[u8]]) -> Result<Value, StoreError> {
        if self.conn.is_none() {
            self.conn = Some(Conn::connect(self.addr, self.timeout).map_err(|e| store_err(&e))?);
        }
        let conn = self.conn.as_mut().ok_or_else(|| StoreError {
            kind: StoreErrorKind::Unavailable,
            message: "no connection".into(),
        })?;
        conn.cmd(args).map_err(|e| {
            // A timed-out connection may still deliver the late reply: never reuse it.
            self.conn = None;
            store_err(&e)
        })
    }

    /// One decision on budget `id`: `now` None for the server's TIME, Some for the caller's clock.
    pub fn call(&mut self, id: &str, req: &Request, now: Option<u64>) -> Result<Reply, StoreError> {
        let invalid = |e: pacekeeper::Error| StoreError {
            kind: StoreErrorKind::BadReply,
            message: e.to_string(),
        };
        let keys = shared::keys(id).map_err(invalid)?;
        let args = shared::encode(req, now).map_err(invalid)?;
        let mut cmd: Vec<&[u8]> = Vec::with_capacity(5 + args.len());
        cmd.extend([
            b"EVALSHA".as_slice(),
            shared::script_sha1().as_bytes(),
            b"2",
            keys[0].as_bytes(),
            keys[1].as_bytes(),
        ]);
        cmd.extend(args.iter().map(|a| a.as_bytes()));
        let mut v = self.send(&cmd)?;
        if matches!(&v, Value::Error(e) if shared::is_noscript(e)) {
            self.evals += 1;
            cmd[0] = b"EVAL";
            cmd[1] = shared::SCRIPT.as_bytes();
            v = self.send(&cmd)?;
        }
        let ints: Vec<i64> = match v {
            Value::Error(e) => {
                return Err(StoreError {
                    kind: StoreErrorKind::Server,
                    message: e,
                })
            }
            Value::Array(Some(items)) => items
                .iter()
                .map(|i| match i {
                    Value::Int(n) => Ok(*n),
                    _ => Err(StoreError {
                        kind: StoreErrorKind::BadReply,
                        message: format!("not an integer: {i:?}"),
                    }),
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(StoreError {
                    kind: StoreErrorKind::BadReply,
                    message: format!("not an array: {other:?}"),
                })
            }
        };
        shared::decode(&ints)
    }
}
