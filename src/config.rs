//! Typed settings from the command line and the environment. Bad values stop the start.

use crate::auth::credentials::Secret;
use crate::persistence::DatabaseUrl;
use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;

/// `payments-api [serve] [flags]` serves; `payments-api clients create ...` takes only the
/// database flags, so its help lists what it uses.
#[derive(Debug, Parser)]
#[command(
    name = "payments-api",
    version,
    about = "A commercetools-compatible Payments API",
    args_conflicts_with_subcommands = true,
    allow_negative_numbers = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    #[command(allow_negative_numbers = true)]
    Serve(ServeArgs),
    /// Manage API clients directly in the database (for bootstrapping).
    #[command(subcommand)]
    Clients(ClientsCommand),
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Create an API client and print `{"clientId", "clientSecret", "scope"}` as JSON.
    Create {
        /// The project the client belongs to.
        #[arg(long)]
        project: String,
        /// Space-separated scopes, e.g. "manage_project:demo".
        #[arg(long)]
        scope: String,
        /// A name to recognise the client by.
        #[arg(long, default_value = "cli client")]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Lifetime of issued access tokens, in seconds (commercetools' default is 48 hours).
    #[arg(long, env = "TOKEN_LIFETIME_SECONDS", default_value_t = 172_800, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub token_lifetime_seconds: u64,
    /// How long a checked token is trusted without asking the database again, in seconds
    /// (0 disables the cache). Bounds how late another process notices a revoked client.
    #[arg(long, env = "TOKEN_CACHE_SECONDS", default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub token_cache_seconds: u64,
    /// How long a Type or State that was read is trusted without reading it again, in seconds
    /// (0 disables the cache). Bounds how late a change made by another process is seen.
    #[arg(long, env = "RESOURCE_CACHE_SECONDS", default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub resource_cache_seconds: u64,
    /// How long a query of a list endpoint may run before it is cancelled with QueryTimedOut.
    #[arg(long, env = "QUERY_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub query_timeout_ms: u64,
    #[command(flatten)]
    pub psp: PspArgs,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// A SQLite file path, or a postgres:// URL.
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = "payments.db", value_parser = DatabaseUrl::parse)]
    pub url: DatabaseUrl,
    /// Database connections in the pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_size: u32,
}

/// The payment service provider (Stripe). Without a secret key the adapter is off.
#[derive(Debug, Clone, Args)]
pub struct PspArgs {
    /// Stripe's API base URL (a local fake in tests); `/v1/...` is appended.
    #[arg(long, env = "STRIPE_API_BASE", default_value = "https://api.stripe.com")]
    pub stripe_api_base: String,
    /// Stripe's secret key. Never logged.
    #[arg(long, env = "STRIPE_SECRET_KEY", hide_env_values = true, value_parser = secret)]
    pub stripe_secret_key: Option<Secret>,
    /// The signing secret of Stripe's webhook endpoint. Never logged.
    #[arg(long, env = "STRIPE_WEBHOOK_SECRET", hide_env_values = true, value_parser = secret)]
    pub stripe_webhook_secret: Option<Secret>,
    /// The previous signing secret, accepted too while a secret is rotated.
    #[arg(long, env = "STRIPE_WEBHOOK_SECRET_PREVIOUS", hide_env_values = true, value_parser = secret)]
    pub stripe_webhook_secret_previous: Option<Secret>,
    /// Ask Stripe for multicapture on manual-capture PaymentIntents, so that an authorization can
    /// be captured in several parts (Stripe offers it on IC+ pricing, for some card networks).
    /// Without it a partial capture releases the rest of the authorization.
    #[arg(long, env = "STRIPE_MULTICAPTURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub stripe_multicapture: bool,
    /// Where Stripe Checkout sends the customer after paying (payments whose
    /// `paymentMethodInfo.method` is `stripe-checkout`); `{PAYMENT_ID}` is replaced by the
    /// payment's id.
    #[arg(long, env = "STRIPE_CHECKOUT_SUCCESS_URL")]
    pub stripe_checkout_success_url: Option<String>,
    /// Where Stripe Checkout sends a customer who gives up; `{PAYMENT_ID}` as above.
    #[arg(long, env = "STRIPE_CHECKOUT_CANCEL_URL")]
    pub stripe_checkout_cancel_url: Option<String>,
    /// The `paymentMethodInfo.paymentInterface` of payments that Stripe executes.
    #[arg(long, env = "PSP_PAYMENT_INTERFACE", default_value = "STRIPE")]
    pub payment_interface: String,
    /// How long a create or update waits for the provider before answering.
    #[arg(long, env = "PSP_WAIT_MS", default_value_t = 3_000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub wait_ms: u64,
    /// The timeout of one call to the provider.
    #[arg(long, env = "PSP_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=120_000))]
    pub timeout_ms: u64,
    /// How long a process owns a provider operation it took before another may take it over
    /// (longer than a provider call and its write-back take).
    #[arg(long, env = "PSP_LEASE_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub lease_ms: u64,
    /// How often the background worker looks for due operations.
    #[arg(long, env = "PSP_WORKER_INTERVAL_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub worker_interval_ms: u64,
}

/// Secrets are kept in a type that never prints them; an empty value counts as not given.
fn secret(value: &str) -> Result<Secret, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(Secret::new(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("payments-api").chain(args.iter().copied()))
    }

    #[test]
    fn serving_takes_its_flags_with_or_without_the_subcommand() {
        assert_eq!(parse(&["--port", "9000"]).unwrap().serve.port, 9000);
        let Some(Command::Serve(args)) = parse(&["serve", "--port", "9001"]).unwrap().command else {
            panic!("serve is parsed");
        };
        assert_eq!(args.port, 9001);
    }

    #[test]
    fn out_of_range_values_are_refused_before_anything_starts() {
        for args in [&["--workers", "0"][..], &["--port", "-1"], &["--port", "70000"], &["--pool-size", "0"]]
        {
            let error = parse(args).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation, "{args:?}");
        }
    }

    #[test]
    fn creating_a_client_takes_only_the_database_flags() {
        let cli = parse(&[
            "clients",
            "create",
            "--project",
            "p",
            "--scope",
            "manage_project:p",
            "--database-url",
            "x.db",
        ]);
        let Some(Command::Clients(ClientsCommand::Create { database, .. })) = cli.unwrap().command else {
            panic!("clients create is parsed");
        };
        assert_eq!(database.url, DatabaseUrl::Sqlite("x.db".into()));
        assert!(parse(&["clients", "create", "--project", "p", "--scope", "s", "--port", "1"]).is_err());
    }
}
