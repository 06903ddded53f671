// A small net/http server that parses its HTML templates from templates/ at start-up (as most
// Go web apps do): without them it stops before it listens.
package main

import (
	"html/template"
	"log"
	"net/http"
	"os"
	"runtime"
)

type page struct {
	Title   string
	Go      string
	Workdir string
}

func main() {
	tmpl := template.Must(template.ParseGlob("templates/*.html"))
	wd, _ := os.Getwd()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := tmpl.ExecuteTemplate(w, "index.html", page{"Greeter", runtime.Version(), wd}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
