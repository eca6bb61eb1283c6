module github.com/dbkeep/dbkeep/examples/dirstore

go 1.26.0

// Outside this repository, require a released SDK version instead.
replace github.com/dbkeep/dbkeep/sdk => ../../sdk
