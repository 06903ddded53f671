fn main() {
    std::process::exit(dfmigrate::cli::main());
}
