"""Model answer, exercise 5: Selective Repeat, sender and receiver."""

from labchat.protocols.student import StudentEngine


class SelectiveRepeat(StudentEngine):
    def setup(self):
        if self.window > self.modulus // 2:
            raise ValueError(f"window {self.window} is more than half of {self.modulus} numbers")
        # sender
        self.waiting = []
        self.base = 0
        self.next_seq = 0
        self.unacked = {}  # number -> [text, transmissions]
        # receiver
        self.receive_base = 0
        self.buffer = {}

    # -- sender --
    def on_message(self, text):
        self.waiting.append(text)
        self.fill_window()

    def fill_window(self):
        while self.waiting and (self.next_seq - self.base) % self.modulus < self.window:
            text = self.waiting.pop(0)
            self.unacked[self.next_seq] = [text, 1]
            self.send_data(self.next_seq, text)
            self.start_timer(self.next_seq)  # one timer per message
            self.next_seq = (self.next_seq + 1) % self.modulus

    def on_ack(self, ack):
        if ack not in self.unacked:
            return  # old, or acknowledged already
        del self.unacked[ack]
        self.stop_timer(ack)
        self.slide()

    def slide(self):
        while self.base != self.next_seq and self.base not in self.unacked:
            self.base = (self.base + 1) % self.modulus
        self.fill_window()

    def on_timeout(self, seq):
        text, tries = self.unacked[seq]
        if tries > self.max_retries:
            self.give_up(seq, text)
            del self.unacked[seq]
            self.slide()
            return
        self.unacked[seq][1] += 1
        self.send_data(seq, text)  # this message only
        self.start_timer(seq)

    # -- receiver --
    def on_data(self, seq, text):
        offset = (seq - self.receive_base) % self.modulus
        if offset < self.window:
            self.send_ack(seq)
            self.buffer.setdefault(seq, text)
            while self.receive_base in self.buffer:
                self.deliver(self.buffer.pop(self.receive_base))
                self.receive_base = (self.receive_base + 1) % self.modulus
        elif offset >= self.modulus - self.window:
            self.send_ack(seq)
