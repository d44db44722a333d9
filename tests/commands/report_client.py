# The student report's Client1.py, as printed in the report (its lines 1-56),
# so that labchat's interop tests run against the report's own program.
# Changed, and only this:
#   * the ports come from the command line instead of being fixed, so tests
#     can use free ports: python report_client.py SOURCE_PORT LISTEN_PORT DEST_PORT
#     (hence `import sys`, where the report's listing skips its line 3);
#   * the typo that stops it from running is fixed: line 55 used `UDPsocket`,
#     the socket is called `UDPSocket` (line 12);
#   * lines 4-24 are dedented: the report prints them indented by four spaces,
#     which is not valid Python at the top level of a module.
# Everything else (split('-'), the resend thread, the prints, the input('> ')
# loop, recv(1024), no locks) is the report's, flaws included: the tests
# observe them. Excluded from ruff and mypy on purpose (see pyproject.toml).
import socket
import threading
import sys

localIP = '127.0.0.1'
sourcePort, listenPort = int(sys.argv[1]), int(sys.argv[2])
destinationAddressPort = ("127.0.0.1", int(sys.argv[3]))

bufferSize = 1024
messages_received, messages_sent = [], []

# Create a datagram socket (UDP)
UDPSocket = socket.socket(family=socket.AF_INET, type=socket.SOCK_DGRAM)
UDPSocket.bind((localIP, sourcePort))

print("Client 1 up and listening")


# Resend messages when needed
def resend():
    sock = socket.socket(family=socket.AF_INET, type=socket.SOCK_DGRAM)
    for message in messages_sent:
        resend_message = str.encode(message + ' -resend')
        sock.sendto(resend_message, destinationAddressPort)


# Listen for incoming datagrams
def listen():
    sock = socket.socket(family=socket.AF_INET, type=socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', listenPort))

    while True:
        data = sock.recv(1024)
        print('\rClient2: {} \n> '.format(data.decode()), end='')

        data_split = data.decode().split('-')
        if data_split[1] == "resend":
            continue
        messages_received.append(data.decode())
        if int(data_split[1]) != len(messages_sent):
            resend_thread = threading.Thread(target=resend)
            resend_thread.start()

# New Thread for listening
listener = threading.Thread(target=listen, daemon=True)
listener.start()

# Send Messages to other client using created UDP socket
while True:
    msg = input('> ')
    messages_sent.append(msg)

    bytesToSend = str.encode(msg + ' -' + str(len(messages_received)))

    UDPSocket.sendto(bytesToSend, destinationAddressPort)
