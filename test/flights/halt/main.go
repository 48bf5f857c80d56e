// Command halt never ends: it wakes up every 10 ms forever (timeouts test).
package main

import "time"

func main() {
	ticker := time.NewTicker(10 * time.Millisecond)
	for {
		<-ticker.C
	}
}
