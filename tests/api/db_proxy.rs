//! A TCP proxy in front of the test's PostgreSQL server, to take the database away from a
//! running service (every connection cut, new ones refused) and give it back, as a network
//! partition or a database restart would.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct DbProxy {
    address: String,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl DbProxy {
    /// Forwards to the host and port of `server_url` (a `postgres://user@host:port/...` URL).
    /// It runs on a thread of its own: the service opens its database synchronously, which
    /// would starve a proxy running on the test's (single-threaded) runtime.
    pub fn start(server_url: &str) -> DbProxy {
        let target = host_and_port(server_url).to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (accepting, tracked) = (up.clone(), links.clone());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((mut client, _)) = listener.accept().await else { return };
                    if !accepting.load(Ordering::SeqCst) {
                        continue; // dropped: refused
                    }
                    let target = target.clone();
                    tracked.lock().unwrap().push(tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(&target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    }));
                }
            })
        });
        DbProxy { address, up, links }
    }

    /// `url` (of the same server) with the proxy in place of the server.
    pub fn url_for(&self, url: &str) -> String {
        url.replacen(host_and_port(url), &self.address, 1)
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn host_and_port(url: &str) -> &str {
    let after_user = url.split_once('@').map_or(url, |(_, rest)| rest);
    after_user.split(['/', '?']).next().unwrap()
}
