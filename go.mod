module github.com/minicache/minicache

go 1.25

require (
	github.com/julienschmidt/httprouter v1.3.0
	github.com/stretchr/testify v1.12.1
	pgregory.net/rapid v1.3.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
