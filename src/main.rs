use clap::Parser;
use payments_api::config::{Cli, ClientsCommand, Command, DatabaseArgs, ServeArgs};
use payments_api::persistence::Database;
use payments_api::service;
use payments_api::startup::Application;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Clients(ClientsCommand::Create { project, scope, name, database })) => {
            create_client(&database, &project, &scope, &name)
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let app = Application::build(&args)?;
    // A wildcard address is not one to send requests to; the loopback of its family is.
    let host = match args.bind {
        IpAddr::V4(address) if address.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(address) if address.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        address => address,
    };
    let base = format!("http://{}", SocketAddr::new(host, app.port()));
    log::info!("payments-api listening on {base} ({} database)", args.database.url.backend_name());
    if let Some(created) = app.bootstrap_client() {
        // Shown once on stdout (never logged): the credentials of the first client.
        println!(
            "First start on an empty database: created project 'demo' with API client\n  client_id:     {}\n  client_secret: {}\n  scope:         {}\nGet a token:\n  curl -s -u '{}:{}' -d grant_type=client_credentials {base}/oauth/token",
            created.client.id,
            created.secret.expose(),
            created.client.scope,
            created.client.id,
            created.secret.expose(),
        );
    }
    app.run_until_stopped().await?;
    Ok(())
}

fn create_client(
    database: &DatabaseArgs,
    project: &str,
    scope: &str,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let db = Database::open(&database.url, 1)?;
    let created = service::auth::create_client(&db, project, name, scope).map_err(|e| e.to_string())?;
    println!(
        "{}",
        json!({"clientId": created.client.id, "clientSecret": created.secret.expose(), "scope": created.client.scope})
    );
    Ok(())
}

/// glibc gives busy threads arenas of their own (up to eight per core), and each keeps the
/// high-water mark of the large list pages it served: resident memory passed 100 MB with
/// 500-row pages. Two arenas keep it near 50 MB at a throughput cost within noise.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before the server starts threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
