use clap::Parser;
use payments_api::config::{Cli, Command, ServeArgs};
use payments_api::startup::Application;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.serve).await,
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
    log::info!(
        "payments-api listening on http://{}:{} ({} database)",
        args.bind,
        app.port(),
        args.database.url.backend_name()
    );
    app.run_until_stopped().await?;
    Ok(())
}
