module github.com/acme/server

go 1.22
