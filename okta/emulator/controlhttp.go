package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// controlHandler serves the HTTP control API under /_emulator/ (loopback peers only):
//
//	GET    /_emulator/requests            the request log (secrets redacted)
//	DELETE /_emulator/requests            forget it
//	PUT    /_emulator/clock               {"offset":"90s"}
//	POST   /_emulator/keys/rotate         new signing key
//	PUT    /_emulator/faults/{endpoint}   {"status":503,"delay":"2s","malformed_json":false,"count":1}
//	DELETE /_emulator/faults/{endpoint}   clear one (DELETE /_emulator/faults clears all)
//	PUT    /_emulator/mutation            {"wrong_nonce":true,...}; DELETE turns it off
//	POST   /_emulator/clients             register a client (same fields as the YAML file)
//	POST   /_emulator/users               register a user
func (s *Server) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emulator/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Requests())
	})
	mux.HandleFunc("DELETE /_emulator/requests", func(w http.ResponseWriter, r *http.Request) {
		s.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /_emulator/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Offset string `json:"offset"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		d, err := time.ParseDuration(in.Offset)
		if err != nil {
			controlError(w, "offset: "+err.Error())
			return
		}
		s.SetClockOffset(d)
		writeJSON(w, http.StatusOK, map[string]string{"offset": d.String()})
	})
	mux.HandleFunc("POST /_emulator/keys/rotate", func(w http.ResponseWriter, r *http.Request) {
		if err := s.RotateKeys(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		k, err := s.keys.active()
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"kid": k.kid})
	})
	mux.HandleFunc("PUT /_emulator/faults/{endpoint}", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Status        int    `json:"status"`
			Delay         string `json:"delay"`
			MalformedJSON bool   `json:"malformed_json"`
			Count         int    `json:"count"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		f := Fault{Status: in.Status, MalformedJSON: in.MalformedJSON, Count: in.Count}
		if in.Delay != "" {
			d, err := time.ParseDuration(in.Delay)
			if err != nil {
				controlError(w, "delay: "+err.Error())
				return
			}
			f.Delay = d
		}
		if err := s.SetFault(r.PathValue("endpoint"), f); err != nil {
			controlError(w, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_emulator/faults/{endpoint}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.SetFault(r.PathValue("endpoint"), Fault{}); err != nil {
			controlError(w, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /_emulator/mutation", func(w http.ResponseWriter, r *http.Request) {
		var m Mutation
		if !decodeControl(w, r, &m) {
			return
		}
		s.SetTokenMutation(m)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_emulator/mutation", func(w http.ResponseWriter, r *http.Request) {
		s.SetTokenMutation(Mutation{})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_emulator/clients", func(w http.ResponseWriter, r *http.Request) {
		var in clientInput
		if !decodeControl(w, r, &in) {
			return
		}
		c := in.Client
		c.Secret = in.Secret
		if err := s.AddClient(c); err != nil {
			controlError(w, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_emulator/users", func(w http.ResponseWriter, r *http.Request) {
		var in userInput
		if !decodeControl(w, r, &in) {
			return
		}
		u := in.User
		u.Password = in.Password
		if err := s.AddUser(u); err != nil {
			controlError(w, err.Error())
			return
		}
		u, _ = s.User(u.Login)
		writeJSON(w, http.StatusOK, map[string]string{"id": u.ID, "login": u.Login})
	})
	mux.HandleFunc("/_emulator/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such control endpoint"})
	})
	return mux
}

// The JSON forms of Client and User hide secrets on output; input needs them.
type clientInput struct {
	Client
	Secret string `json:"secret"`
}

type userInput struct {
	User
	Password string `json:"password"`
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			controlError(w, "body larger than 64 KiB")
			return false
		}
		controlError(w, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func controlError(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
}
