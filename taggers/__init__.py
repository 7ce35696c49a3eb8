"""The trained part-of-speech taggers: beside the engine, not inside it.

    tagger   EWT-style tokenizer, word-local features, NumPy inference on birnn_core's engine,
             uni-vs-bi comparison and occlusion (NumPy only: the app imports this)
    conllu   the CoNLL-U reader (UD English-EWT)
    train    PyTorch training and shipping (the only module that imports torch;
             its extra requirements are in taggers/requirements-train.txt)
"""
