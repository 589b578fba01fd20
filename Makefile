# The two set-up commands of the README live here.
.PHONY: run test

# Run the server (web editor included) on the embedded SQLite default.
run:
	web/build.sh
	cargo run --release -p rocqet-server --bin rocqet -- serve

# Run every test: starts PostgreSQL and Redis when needed, installs the npm packages the
# tests drive and Debian's chromium for the web editor's end-to-end tests.
test:
	.ci/services
	.ci/npm-deps
	cargo test --workspace --all-targets --no-fail-fast
	web/test.sh
