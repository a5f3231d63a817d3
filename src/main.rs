fn main() {
    std::process::exit(relay::cli::main());
}
