# The two set-up commands of the README live here.
.PHONY: run test

# Run the server (web editor included) on the embedded SQLite default.
run:
	cargo run --release -p rocqet-server --bin rocqet -- serve

# Run every test: starts PostgreSQL and Redis when needed, installs the npm packages the tests drive.
test:
	.ci/services
	.ci/npm-deps
	cargo test --workspace --all-targets --no-fail-fast
