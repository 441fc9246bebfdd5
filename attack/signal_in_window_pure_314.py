"""Pure Python on 3.14: `with lock:` runs signal handlers after acquiring (the CALL of
__enter__ checks the eval breaker); a KeyboardInterrupt there leaves the lock held and
every other thread's insertion hangs. INTERN_PURE_PYTHON=1 python3.14 attack/signal_in_window_pure_314.py"""
import signal, sys, threading, time
import intern
interner = intern.Interner()
print(intern.implementation, sys.version.split()[0])
lock = interner._tables.lock  # stands for another thread inside a window
owned_in_handler = []
def handler(signum, frame):
    owned_in_handler.append(lock._is_owned())
    raise KeyboardInterrupt
signal.signal(signal.SIGUSR1, handler)
def other():
    with lock:
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)
t = threading.Thread(target=other); t.start(); time.sleep(0.1)
try:
    interner.make("first")
except KeyboardInterrupt:
    print("KeyboardInterrupt from make")
t.join()
print("handler ran holding the interner's lock:", owned_in_handler)
done = []
w = threading.Thread(target=lambda: done.append(interner.make("second")), daemon=True)
w.start(); w.join(5)
print("another thread's make finished:", bool(done))
