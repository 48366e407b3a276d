
namespace Transformer.Runtime;

/// <summary>
/// Scratch activations for one model step of up to <see cref="Rows"/> rows (and <see cref="LogitRows"/>
/// rows of logits), made by <see cref="DecoderModel.CreateStepBuffers"/>. Whoever runs steps owns one and
/// reuses it, so a steady loop allocates nothing.
/// </summary>
public sealed class StepBuffers : IDisposable
{
    internal StepBuffers(DecoderActivations activations) => Activations = activations;

    internal DecoderActivations Activations { get; }

    /// <summary>Most rows per step.</summary>
    public int Rows => Activations.Rows;

    /// <summary>Most rows with logits per step.</summary>
    public int LogitRows => Activations.LogitRows;

    /// <inheritdoc/>
    public void Dispose() => Activations.Dispose();
}
