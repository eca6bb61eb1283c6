module github.com/dbkeep/dbkeep/internal/testservers/ftps

go 1.26.0

require goftp.io/server/v2 v2.0.3
