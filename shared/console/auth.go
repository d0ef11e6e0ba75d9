package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// tokenDigest is what the login cookie holds: a digest, so the token itself is
// not stored in the browser, and one that only the token produces.
func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte("webhooks-console\x00" + token))
	return hex.EncodeToString(sum[:])
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.page(w, r, "login", "Sign in", map[string]any{"Failed": r.URL.Query().Has("failed")})
}

// login checks the token typed into the form and sets the cookie. The form is
// a POST like every other change, so CrossOriginProtection covers it.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	p := c.cfg.Prefix
	if c.cfg.AccessToken == "" {
		http.Redirect(w, r, p+"/", http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(c.cfg.AccessToken)) != 1 {
		http.Redirect(w, r, p+"/login?failed=1", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: tokenDigest(c.cfg.AccessToken), Path: p + "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, p+"/", http.StatusSeeOther)
}
