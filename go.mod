module github.com/dbkeep/dbkeep

go 1.26.0

// The SDK is its own module; inside this repository the core and first-party
// plugins always build against the SDK next to them.
replace github.com/dbkeep/dbkeep/sdk => ./sdk
