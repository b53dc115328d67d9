//! Builds the application: opens the database, mounts the routes, binds the listener.

use crate::config::ServeArgs;
use crate::http::{self, AppState, MAX_BODY_BYTES};
use crate::persistence::Database;
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use std::net::TcpListener;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens the database (running migrations) and binds the port; `port` 0 picks a free one.
    pub fn build(settings: &ServeArgs) -> Result<Self, Box<dyn std::error::Error>> {
        let db = Database::open(&settings.database.url, settings.database.pool_size)?;
        let listener = TcpListener::bind((settings.bind, settings.port))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState { db });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .wrap(middleware::from_fn(http::correlate))
                .configure(http::configure)
                .default_service(web::to(http::not_found))
        })
        .listen(listener)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
