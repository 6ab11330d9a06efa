//! `tariff-impact`: the command-line entry point. `serve` starts the gRPC server with the
//! built-in presets (plus any `--catalog DIR`); `calc` computes one request locally;
//! `presets` lists the presets.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tariff_impact::catalog::Catalog;
use tariff_impact::cli::{self, CalcArgs, CalcError};
use tariff_impact::convert::Limits;
use tariff_impact::pb;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    version,
    about = "Exact per-unit cost impact of material prices and tariffs on a bill of materials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the gRPC server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TARIFF_LISTEN", default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// Directory with more presets (boms/, price_decks/, tariff_schedules/ of *.json).
        #[arg(long, env = "TARIFF_CATALOG")]
        catalog: Option<PathBuf>,
        /// Log as JSON lines instead of text.
        #[arg(long)]
        json_logs: bool,
    },
    /// Compute one calculation locally (no server) and print a table or JSON.
    Calc(CalcCli),
    /// List the presets (built-in plus --catalog) and exit; validates catalog files.
    Presets {
        /// Directory with more presets.
        #[arg(long, env = "TARIFF_CATALOG")]
        catalog: Option<PathBuf>,
    },
}

/// `calc`: a request in JSON, or a BOM in CSV with presets and options from flags.
#[derive(clap::Args)]
struct CalcCli {
    /// A CalculateImpactRequest in proto3 JSON, as sent with grpcurl (`-` reads stdin).
    #[arg(long, conflicts_with = "bom_csv")]
    request: Option<String>,
    /// A BOM in CSV (columns in the README).
    #[arg(long)]
    bom_csv: Option<String>,
    /// Id of the CSV BOM (default: the file name without extension).
    #[arg(long)]
    bom_id: Option<String>,
    /// Currency of the CSV BOM.
    #[arg(long, default_value = "USD")]
    currency: String,
    /// Baseline prices: a preset id or a price deck .json file.
    #[arg(long)]
    baseline_prices: Option<String>,
    /// Scenario prices: a preset id or a .json file (default: the baseline prices).
    #[arg(long)]
    scenario_prices: Option<String>,
    /// Baseline tariff schedule: a preset id or a .json file.
    #[arg(long)]
    baseline_schedule: Option<String>,
    /// Scenario tariff schedule: a preset id or a .json file (default: the baseline's).
    #[arg(long)]
    scenario_schedule: Option<String>,
    /// Entry date YYYY-MM-DD.
    #[arg(long)]
    entry_date: Option<String>,
    /// Scenario entry date YYYY-MM-DD.
    #[arg(long)]
    scenario_entry_date: Option<String>,
    /// Units of product per customs entry.
    #[arg(long)]
    units_per_entry: Option<String>,
    /// Units per year.
    #[arg(long)]
    annual_volume: Option<String>,
    /// Rounding mode.
    #[arg(long, value_parser = ["half-up", "half-even"], default_value = "half-up")]
    rounding: String,
    /// Output format.
    #[arg(long, value_parser = ["table", "json"], default_value = "table")]
    format: String,
    /// Directory with more presets.
    #[arg(long, env = "TARIFF_CATALOG")]
    catalog: Option<PathBuf>,
}

fn run_calc(c: CalcCli) -> ExitCode {
    let catalog = match load_catalog(c.catalog.as_ref()) {
        Ok(cat) => Arc::new(cat),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args = CalcArgs {
        request: c.request,
        bom_csv: c.bom_csv,
        bom_id: c.bom_id,
        currency: c.currency,
        baseline_prices: c.baseline_prices,
        scenario_prices: c.scenario_prices,
        baseline_schedule: c.baseline_schedule,
        scenario_schedule: c.scenario_schedule,
        options: pb::CalculationOptions {
            entry_date: c.entry_date.unwrap_or_default(),
            scenario_entry_date: c.scenario_entry_date.unwrap_or_default(),
            units_per_entry: c.units_per_entry.unwrap_or_default(),
            annual_volume: c.annual_volume.unwrap_or_default(),
            rounding_mode: if c.rounding == "half-even" {
                pb::RoundingMode::HalfEven as i32
            } else {
                pb::RoundingMode::HalfUp as i32
            },
            stockpile: None,
        },
    };
    match cli::calc(catalog, &args) {
        Ok(r) if c.format == "json" => match serde_json::to_string_pretty(&r) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(r) => {
            print!("{}", cli::table::render(&r));
            ExitCode::SUCCESS
        }
        Err(CalcError::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(CalcError::Rejected(lines)) => {
            for l in lines {
                eprintln!("{l}");
            }
            ExitCode::from(2)
        }
    }
}

fn load_catalog(dir: Option<&PathBuf>) -> Result<Catalog, String> {
    let mut catalog = Catalog::builtin().map_err(|e| format!("built-in {e}"))?;
    if let Some(dir) = dir {
        catalog.load_dir(dir).map_err(|e| e.to_string())?;
    }
    Ok(catalog)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            listen,
            catalog,
            json_logs,
        } => {
            let filter =
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
            if json_logs {
                tracing_subscriber::fmt()
                    .with_env_filter(filter)
                    .json()
                    .init();
            } else {
                tracing_subscriber::fmt().with_env_filter(filter).init();
            }
            let catalog = match load_catalog(catalog.as_ref()) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let result = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
                tariff_impact::server::run(
                    listener,
                    catalog,
                    Limits::default(),
                    tariff_impact::server::shutdown_signal(),
                )
                .await
                .map_err(|e| e.to_string())
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Calc(c) => run_calc(c),
        Command::Presets { catalog } => match load_catalog(catalog.as_ref()) {
            Ok(c) => {
                for b in c.boms() {
                    println!("bom             {:<28} {}", b.proto.id, b.proto.name);
                }
                for d in c.price_decks() {
                    println!(
                        "price_deck      {:<28} {} (as of {})",
                        d.proto.id, d.proto.name, d.proto.as_of_date
                    );
                }
                for s in c.tariff_schedules() {
                    println!(
                        "tariff_schedule {:<28} {} (as of {})",
                        s.proto.id, s.proto.name, s.proto.as_of_date
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
