//! Headless Chromium for the compare page tests: `--dump-dom` for a page as
//! loaded, and a minimal DevTools-protocol client (HTTP + WebSocket over a
//! 127.0.0.1 socket, no crates) to type into the page and read it back.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's chromium package puts it here; `.ci/install-browser.sh` installs it.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Flags that keep Chromium off the network and out of the user's profile.
fn base_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// Whether the browser is installed; when not, says why the test is skipped.
pub fn available(test: &str) -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    eprintln!("skipping {test}: {CHROMIUM} not found (run .ci/install-browser.sh)");
    false
}

/// A throwaway profile folder, removed when dropped.
pub struct Profile(pub PathBuf);

impl Profile {
    pub fn new(tag: &str) -> Profile {
        let p = std::env::temp_dir().join(format!("strata-chromium-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Profile(p)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The DOM after the page's scripts ran, as `chromium --dump-dom URL` prints it.
pub fn dump_dom(url: &str) -> String {
    let profile = Profile::new("dump");
    let out = Command::new(CHROMIUM)
        .args(base_args(&profile.0))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running headless Chromium with one page, killed (its whole process group)
/// when dropped.
pub struct Browser {
    child: Child,
    _profile: Profile,
    ws: TcpStream,
    next_id: u64,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Its own process group (set at spawn): the browser and its helpers, nothing else.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts Chromium with the DevTools endpoint on 127.0.0.1 only, connects to
    /// its page and loads `url` there.
    pub fn open(url: &str) -> Browser {
        let profile = Profile::new("cdp");
        let child = Command::new(CHROMIUM)
            .args(base_args(&profile.0))
            .arg("--remote-debugging-address=127.0.0.1")
            .arg("--remote-debugging-port=0")
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromium");
        // Chromium writes the port it chose into the profile.
        let port_file = profile.0.join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port: u16 = loop {
            if let Some(p) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|t| t.lines().next().and_then(|l| l.trim().parse().ok()))
            {
                break p;
            }
            assert!(
                Instant::now() < deadline,
                "chromium wrote no DevToolsActivePort"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut browser = Browser {
            child,
            _profile: profile,
            // A placeholder until the page's socket is open below.
            ws: connect(port),
            next_id: 0,
        };
        let path = loop {
            let targets: Value =
                serde_json::from_str(&http_get(port, "/json/list")).unwrap_or(Value::Null);
            let page = targets.as_array().and_then(|t| {
                t.iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str())
                    .and_then(|u| u.split_once(&format!("127.0.0.1:{port}")))
                    .map(|(_, p)| p.to_string())
            });
            if let Some(p) = page {
                break p;
            }
            assert!(Instant::now() < deadline, "chromium shows no page");
            std::thread::sleep(Duration::from_millis(50));
        };
        browser.ws = websocket(port, &path);
        browser.call("Page.navigate", json!({ "url": url }));
        let loaded = format!(
            "document.readyState === 'complete' && location.href === {}",
            json!(url)
        );
        while browser.eval(&loaded) != true {
            assert!(Instant::now() < deadline, "{url} did not load");
            std::thread::sleep(Duration::from_millis(50));
        }
        browser
    }

    /// Sends one DevTools command and waits for its answer (events are skipped).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        send_frame(&mut self.ws, msg.as_bytes());
        loop {
            let reply: Value = serde_json::from_slice(&read_message(&mut self.ws)).unwrap();
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates a JavaScript expression in the page and returns its value.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    /// Types text into the focused element, one key press per character.
    pub fn type_text(&mut self, text: &str) {
        for ch in text.chars() {
            let s = ch.to_string();
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": "keyDown", "key": s, "text": s}),
            );
            self.call("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": s}));
        }
    }
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to chromium");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

fn http_get(port: u16, path: &str) -> String {
    let mut s = connect(port);
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // Chromium keeps the connection open: read the head, then Content-Length bytes.
    let head = read_head(&mut s);
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).expect("read from chromium");
    String::from_utf8_lossy(&body).into_owned()
}

/// An HTTP response head, up to and including the blank line.
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("read from chromium");
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The WebSocket opening handshake (RFC 6455 §4.1); no Origin header, which
/// Chromium accepts from local clients.
fn websocket(port: u16, path: &str) -> TcpStream {
    let mut s = connect(port);
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let head = read_head(&mut s);
    assert!(
        head.starts_with("HTTP/1.1 101"),
        "handshake refused: {head}"
    );
    s
}

/// One masked text frame (clients must mask, §5.3).
fn send_frame(s: &mut TcpStream, payload: &[u8]) {
    let mask = [0x5au8, 0x17, 0xc3, 0x88];
    let mut frame = vec![0x81u8];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend((n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend((n as u64).to_be_bytes());
        }
    }
    frame.extend(mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&frame).unwrap();
}

/// One whole message: frames read until FIN, control frames skipped.
fn read_message(s: &mut TcpStream) -> Vec<u8> {
    let mut message = Vec::new();
    loop {
        let mut head = [0u8; 2];
        s.read_exact(&mut head).expect("read from chromium");
        let fin = head[0] & 0x80 != 0;
        let opcode = head[0] & 0x0f;
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                s.read_exact(&mut b).unwrap();
                u16::from_be_bytes(b) as usize
            }
            127 => {
                let mut b = [0u8; 8];
                s.read_exact(&mut b).unwrap();
                u64::from_be_bytes(b) as usize
            }
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        s.read_exact(&mut payload).unwrap();
        assert_ne!(opcode, 0x8, "chromium closed the connection");
        if opcode >= 0x8 {
            continue; // ping or pong
        }
        message.extend(payload);
        if fin {
            return message;
        }
    }
}
