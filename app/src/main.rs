use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = bridgekeeper::cli::Cli::parse();
    bridgekeeper::cli::init_logging(cli.verbose);
    match bridgekeeper::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("bridgekeeper: {err:#}");
            ExitCode::from(1)
        }
    }
}
