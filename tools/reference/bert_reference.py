"""BERT encoder forward pass and sentence-transformers pooling in plain PyTorch.

The project's own, independent statement of what Hugging Face's BertModel computes (transformers
is not needed): word + position + token-type embeddings and a LayerNorm; per layer, self-attention
over the unmasked tokens of each padded sentence, dense + residual + LayerNorm, then an erf-GELU
MLP, dense + residual + LayerNorm (post-norm). Weight names are the Hugging Face ones.
"""
import math

import torch


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # population variance, as torch.nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))  # the exact GELU, not the tanh one


def linear(x, w, name):
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def forward(config, w, input_ids, attention_mask, token_type_ids):
    """input_ids, attention_mask, token_type_ids: [batch, seq] int tensors; returns [batch, seq, hidden]."""
    batch, seq = input_ids.shape
    hidden, heads, eps = config["hidden_size"], config["num_attention_heads"], config["layer_norm_eps"]
    d = hidden // heads
    positions = torch.arange(seq).unsqueeze(0).expand(batch, seq)
    x = (w["embeddings.word_embeddings.weight"][input_ids]
         + w["embeddings.position_embeddings.weight"][positions]
         + w["embeddings.token_type_embeddings.weight"][token_type_ids])
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    # Padding keys get -inf-like scores (transformers adds the dtype's minimum); queries see every real token.
    key_bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
    for l in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{l}."

        def split(t):
            return t.view(batch, seq, heads, d).transpose(1, 2)  # [batch, heads, seq, d]

        q = split(linear(x, w, p + "attention.self.query"))
        k = split(linear(x, w, p + "attention.self.key"))
        v = split(linear(x, w, p + "attention.self.value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + key_bias
        att = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, hidden)
        x = layer_norm(x + linear(att, w, p + "attention.output.dense"),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        f = gelu(linear(x, w, p + "intermediate.dense"))
        x = layer_norm(x + linear(f, w, p + "output.dense"),
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x


def pool(states, mask, mode, normalize):
    """sentence-transformers Pooling over one padded batch: [batch, seq, hidden] -> [batch, hidden]."""
    m = mask.unsqueeze(-1).to(states.dtype)
    if mode == "mean":
        pooled = (states * m).sum(1) / m.sum(1).clamp(min=1e-9)
    elif mode == "cls":
        pooled = states[:, 0]
    elif mode == "max":
        pooled = states.masked_fill(m == 0, -1e9).max(1).values
    else:
        raise ValueError(mode)
    if normalize:
        pooled = pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    return pooled
