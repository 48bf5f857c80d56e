module jetway.dev/examples

go 1.24
