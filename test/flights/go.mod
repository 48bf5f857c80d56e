module jetway.dev/testflights

go 1.24

require jetway.dev/examples v0.0.0

replace jetway.dev/examples => ../../examples
