"""Why a charger's websocket session ended, when the transport says so, in words for the message log."""

# RFC 6455 Message Too Big: portal/daphne_server.py reports it for a frame over daphne's 1 MiB limit.
CLOSE_MESSAGE_TOO_BIG = 1009
FRAME_TOO_BIG = "FrameTooBig"
FRAME_TOO_BIG_PROBLEM = "a frame over 1 MiB was refused; the socket was closed with 1009 (Message Too Big)"
