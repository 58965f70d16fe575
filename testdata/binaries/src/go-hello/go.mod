module example.com/hello

go 1.19

require example.com/greet v0.1.0

replace example.com/greet => ./greet
