use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    procura::telemetry::init();
    match procura::cli::run(procura::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
