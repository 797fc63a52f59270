package tunnel

import (
	"net"
	"sync"
	"time"
)

// drainLimit bounds how long a closed tunnel waits for accepted connections before ending its
// session anyway: a hijacked connection (a WebSocket) is never closed by http.Server.Shutdown.
const drainLimit = 30 * time.Second

// listener is the Tunnel every provider returns: it counts the connections it handed out, so
// that Close can take the URL offline at once and end the session only after they are done.
type listener struct {
	inner net.Listener
	url   string
	// finish ends the session behind inner (ngrok's agent); nil for none.
	finish func()
	// acceptErr turns inner's Accept error into one that says what to do.
	acceptErr func(error) error

	events chan Event
	done   chan struct{}

	mu           sync.Mutex
	active       int
	closed       bool // Close was called: no more events
	ended        bool
	disconnected bool
	closeErr     error
	closeOnce    sync.Once
}

func newListener(inner net.Listener, url string, finish func()) *listener {
	return &listener{inner: inner, url: url, finish: finish, events: make(chan Event, 32), done: make(chan struct{})}
}

func (l *listener) URL() string             { return l.url }
func (l *listener) Addr() net.Addr          { return l.inner.Addr() }
func (l *listener) Done() <-chan struct{}   { return l.done }
func (l *listener) Events() <-chan Event    { return l.events }
func (l *listener) isClosed() (closed bool) { l.mu.Lock(); defer l.mu.Unlock(); return l.closed }

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.inner.Accept()
	if err != nil {
		if l.isClosed() {
			return nil, net.ErrClosed
		}
		if l.acceptErr != nil {
			err = l.acceptErr(err)
		}
		// The service ended the tunnel: nothing more will arrive.
		l.emit(Event{Time: time.Now(), Kind: EventDisconnected, Err: err})
		go l.end()
		return nil, err
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.active++
	l.mu.Unlock()
	return &trackedConn{Conn: c, l: l}, nil
}

// Close takes the URL offline; the session ends when the last accepted connection closes.
func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		idle := l.active == 0
		l.mu.Unlock()
		l.closeErr = l.inner.Close()
		if idle {
			l.end()
			return
		}
		time.AfterFunc(drainLimit, l.end)
	})
	return l.closeErr
}

func (l *listener) release() {
	l.mu.Lock()
	l.active--
	last := l.closed && l.active == 0
	l.mu.Unlock()
	if last {
		l.end()
	}
}

// end ends the session once: after it, Done is closed and Events drained and closed.
func (l *listener) end() {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return
	}
	l.ended = true
	close(l.events)
	l.mu.Unlock()
	if l.finish != nil {
		l.finish()
	}
	close(l.done)
}

// emit hands an event to the reader without ever blocking: the SDK calls it from inside its
// session loop.
func (l *listener) emit(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.ended || (e.Kind == EventDisconnected && l.disconnected) {
		return
	}
	if e.Kind == EventDisconnected {
		l.disconnected = true
	}
	select {
	case l.events <- e:
	default:
	}
}

type trackedConn struct {
	net.Conn
	l    *listener
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.l.release)
	return err
}
