//! Typed settings from the command line and the environment. Bad values stop the start.

use crate::persistence::DatabaseUrl;
use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;

#[derive(Debug, Parser)]
#[command(
    name = "payments-api",
    version,
    about = "A commercetools-compatible Payments API"
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
    Serve,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, global = true, env = "BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, global = true, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// HTTP worker threads (default: one per core).
    #[arg(long, global = true, env = "WORKERS")]
    pub workers: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// A SQLite file path, or a postgres:// URL.
    #[arg(long = "database-url", global = true, env = "DATABASE_URL", default_value = "payments.db", value_parser = DatabaseUrl::parse)]
    pub url: DatabaseUrl,
    /// Database connections in the pool.
    #[arg(long, global = true, env = "DATABASE_POOL_SIZE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_size: u32,
}
