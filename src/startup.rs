//! Builds the application: opens the database, mounts the routes, binds the listener.

use crate::config::ServeArgs;
use crate::http::{self, AppState};
use crate::persistence::Database;
use crate::psp::stripe::{Stripe, StripeOptions};
use crate::service;
use crate::service::auth::{CreatedClient, TokenCache};
use crate::service::psp::Executor;
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// The provider executor when a Stripe secret key is configured.
fn psp_executor(
    settings: &ServeArgs,
    db: &Database,
) -> Result<Option<Arc<Executor>>, Box<dyn std::error::Error>> {
    let Some(secret_key) = settings.psp.stripe_secret_key.clone() else {
        log::info!("Stripe adapter is off: no STRIPE_SECRET_KEY is configured");
        return Ok(None);
    };
    let stripe = Stripe::new(
        &settings.psp.stripe_api_base,
        secret_key,
        &settings.psp.payment_interface,
        Duration::from_millis(settings.psp.timeout_ms),
        StripeOptions {
            multicapture: settings.psp.stripe_multicapture,
            checkout_success_url: settings.psp.stripe_checkout_success_url.clone(),
            checkout_cancel_url: settings.psp.stripe_checkout_cancel_url.clone(),
        },
    )?;
    log::info!(
        "Stripe adapter is on for payments with paymentInterface {} ({})",
        settings.psp.payment_interface,
        settings.psp.stripe_api_base
    );
    let lease = Duration::from_millis(settings.psp.lease_ms);
    Ok(Some(Arc::new(Executor::new(db.clone(), Arc::new(stripe), lease))))
}

pub struct Application {
    port: u16,
    server: Server,
    bootstrap: Option<CreatedClient>,
}

impl Application {
    /// Opens the database (running migrations) and binds the port; `port` 0 picks a free one.
    pub fn build(settings: &ServeArgs) -> Result<Self, Box<dyn std::error::Error>> {
        let db = Database::open(&settings.database.url, settings.database.pool_size)?
            .with_query_timeout(Duration::from_millis(settings.query_timeout_ms))
            .with_resource_cache(Duration::from_secs(settings.resource_cache_seconds));
        let listener = TcpListener::bind((settings.bind, settings.port)).map_err(|e| {
            format!("cannot listen on {}: {e}", SocketAddr::new(settings.bind, settings.port))
        })?;
        let port = listener.local_addr()?.port();
        let psp = psp_executor(settings, &db)?;
        let bootstrap_db = db.clone();
        let state = web::Data::new(AppState {
            psp: psp.clone(),
            psp_wait: Duration::from_millis(settings.psp.wait_ms),
            webhook_secrets: [
                &settings.psp.stripe_webhook_secret,
                &settings.psp.stripe_webhook_secret_previous,
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
            db,
            tokens: TokenCache::new(Duration::from_secs(settings.token_cache_seconds)),
            token_lifetime: Duration::from_secs(settings.token_lifetime_seconds),
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(crate::service::MAX_DOCUMENT_BYTES))
                .wrap(middleware::from_fn(http::explain_method_not_allowed))
                .wrap(middleware::from_fn(http::refuse_nul))
                .wrap(middleware::from_fn(http::answer_preflight))
                .wrap(middleware::from_fn(http::correlate))
                .wrap(middleware::from_fn(http::allow_cross_origin))
                // gzip (or deflate) for clients that accept it, as the SDKs do.
                .wrap(middleware::Compress::default())
                .configure(http::configure)
                .default_service(web::to(http::not_found))
        })
        .listen(listener)?;
        if let Some(workers) = settings.workers {
            server = server.workers(usize::from(workers));
        }
        // Last of all, once nothing else can stop the start: the first client's secret is shown
        // only once, so it must not be created by a start that then fails.
        let bootstrap = service::auth::bootstrap_if_empty(&bootstrap_db)?;
        let server = server.run();
        if let Some(executor) = psp {
            let interval = Duration::from_millis(settings.psp.worker_interval_ms);
            tokio::spawn(executor.run_worker(interval));
        }
        Ok(Self { port, server, bootstrap })
    }

    /// The client created on the first start of an empty database, with its secret.
    pub fn bootstrap_client(&self) -> Option<&CreatedClient> {
        self.bootstrap.as_ref()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
