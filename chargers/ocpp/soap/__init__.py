"""OCPP 1.6 SOAP (1.6S), the second transport: SOAP 1.2 envelopes in and out, read and written from the official
WSDLs (wsdl.py), over the same dispatch, handlers and command delivery as OCPP-J (DESIGN rules 2 and 10)."""
