package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// ballast exercises many packages for real, so the linker keeps their code.
func ballast() {
	out := io.Writer(os.Stdout)

	ht := htmltemplate.Must(htmltemplate.New("h").Parse(`<a href="{{.}}">{{.}}</a>`))
	_ = ht.Execute(out, "https://example.com/?q=<x>")
	tt := template.Must(template.New("t").Funcs(template.FuncMap{"up": strings.ToUpper}).Parse(`{{up .}}`))
	_ = tt.Execute(out, "x")

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	serial := big.NewInt(time.Now().Unix())
	der, _ := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: serial}, &x509.Certificate{SerialNumber: serial}, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	if cert != nil {
		pool.AddCert(cert)
		_, _ = cert.Verify(x509.VerifyOptions{Roots: pool})
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	_, _ = x509.MarshalPKCS8PrivateKey(rsaKey)
	_, _ = x509.MarshalPKCS8PrivateKey(edKey)
	_, _ = asn1.Marshal(serial)
	_, _ = tls.X509KeyPair(pemBytes, pemBytes)

	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.URL.Path))
	}))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	request, _ := http.NewRequestWithContext(context.Background(), "GET", server.URL, nil)
	if response, err := client.Do(request); err == nil {
		io.Copy(out, response.Body)
		response.Body.Close()
	}
	fmt.Fprintln(out, (&url.URL{Scheme: "http", Host: "localhost"}).String())
	_, _ = mail.ParseAddress("a <a@example.com>")
	mw := multipart.NewWriter(out)
	mw.WriteField("a", "b")

	var buffer bytes.Buffer
	_ = xml.NewEncoder(&buffer).Encode(struct{ A string }{"x"})
	_ = xml.NewDecoder(&buffer).Decode(new(struct{ A string }))

	zw := zip.NewWriter(&buffer)
	w, _ := zw.Create("a")
	w.Write([]byte("a"))
	zw.Close()
	_, _ = zip.NewReader(bytes.NewReader(buffer.Bytes()), int64(buffer.Len()))
	fw, _ := flate.NewWriter(&buffer, 9)
	fw.Close()

	fmt.Fprintln(out, regexp.MustCompile(`a+b*`).FindAllString("aab ab", -1))
}
