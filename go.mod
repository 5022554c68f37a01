module github.com/minicache/minicache

go 1.25
