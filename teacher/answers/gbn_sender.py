"""Model answer, exercise 2: the Go-Back-N sender."""

from labchat.protocols.student import StudentEngine


class GoBackNSender(StudentEngine):
    def setup(self):
        self.waiting = []  # offered, not sent yet (the window was full)
        self.base = 0  # number of the oldest unacknowledged message
        self.next_seq = 0  # number of the next new message
        self.unacked = []  # texts of base .. next_seq - 1, oldest first
        self.tries = 0  # transmissions of the oldest since the window last moved

    def on_message(self, text):
        self.waiting.append(text)
        self.fill_window()

    def fill_window(self):
        while self.waiting and len(self.unacked) < self.window:
            text = self.waiting.pop(0)
            self.send_data(self.next_seq, text)
            self.unacked.append(text)
            self.next_seq = (self.next_seq + 1) % self.modulus
            if len(self.unacked) == 1:
                self.tries = 1
                self.start_timer()

    def on_ack(self, ack):
        newly = (ack - self.base) % self.modulus + 1  # cumulative: up to and including ack
        if newly > len(self.unacked):
            return  # an old ACK, for a message before the window
        del self.unacked[:newly]
        self.base = (ack + 1) % self.modulus
        self.tries = 1
        if self.unacked:
            self.start_timer()
        else:
            self.stop_timer()
        self.fill_window()

    def on_timeout(self, timer):
        if self.tries > self.max_retries:
            for offset, text in enumerate(self.unacked):
                self.give_up(self.base + offset, text)
            self.unacked = []
            self.base = self.next_seq
            self.fill_window()
            return
        self.tries += 1
        for offset, text in enumerate(self.unacked):  # go back N
            self.send_data(self.base + offset, text)
        self.start_timer()
