package esdev

import (
	"crypto/subtle"
	"net/http"
	"sync/atomic"
)

// BasicAuth wraps h (usually Server.Handler) so that only requests with
// user's password get through, as a secured cluster's HTTP layer would;
// others get 401 and count in denied (which may be nil).
func BasicAuth(user, pass string, h http.Handler, denied *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			if denied != nil {
				denied.Add(1)
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="esdev"`)
			http.Error(w, `{"error":"unauthenticated","status":401}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
