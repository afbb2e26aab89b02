"""Character-level tokenizer for the countdown format, built with the `tokenizers` library.

Every token is exactly one character (plus the special token <|endoftext|>, id 0, used as EOS and pad),
so a Java client can map token id -> string by looking the id up in the vocab. The model is a BPE with
no merges and no pre-tokenizer: the whole input is split into characters; the decoder is Fuse (plain
concatenation), so decode(encode(x)) == x exactly for any text over the alphabet.
"""
from tokenizers import Tokenizer, decoders, models

EOS = "<|endoftext|>"
# order fixes the ids: <|endoftext|>=0, then these characters in this order (ids 1..29)
CHARS = ["\n", " ", "*", "+", "-", "/"] + [str(d) for d in range(10)] + [":", "="] + list("abegmnrstuw")


def build_tokenizer() -> Tokenizer:
    vocab = {EOS: 0}
    for c in CHARS:
        vocab[c] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token=None, fuse_unk=False))
    tok.add_special_tokens([EOS])
    tok.decoder = decoders.Fuse()
    return tok


def self_check(tok: Tokenizer) -> None:
    samples = [
        "numbers: 3 7 25 50 target: 85\n",
        "25 * 3 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85",
        "50 - 7 = 43\n43 / 1 = 43\nanswer: 43",
        " \n\n  answer: 0 ",
        "".join(CHARS),
    ]
    for s in samples:
        enc = tok.encode(s, add_special_tokens=False)
        assert len(enc.ids) == len(s), (s, enc.tokens)
        assert all(len(t) == 1 for t in enc.tokens), enc.tokens
        assert tok.decode(enc.ids, skip_special_tokens=False) == s, repr(tok.decode(enc.ids))
        assert tok.decode(enc.ids + [0], skip_special_tokens=True) == s
    assert tok.token_to_id(EOS) == 0
    assert tok.get_vocab_size() == 1 + len(CHARS)
    vocab = tok.get_vocab()
    for t, i in vocab.items():
        assert t == EOS or len(t) == 1


def save(path: str) -> Tokenizer:
    tok = build_tokenizer()
    self_check(tok)
    tok.save(path)
    again = Tokenizer.from_file(path)
    self_check(again)
    return again


if __name__ == "__main__":
    import sys
    save(sys.argv[1])
