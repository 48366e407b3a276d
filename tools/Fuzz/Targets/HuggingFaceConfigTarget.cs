using System.Text;
using Transformer.Loader.Config;

namespace Transformer.Fuzz.Targets;

/// <summary>config.json, through the same text parse <see cref="HuggingFaceConfig.Load"/> uses.</summary>
internal sealed class HuggingFaceConfigTarget : FuzzTarget
{
    public override string Name => "config-json";

    public override string Description => "HuggingFaceConfig.Parse on the input decoded as UTF-8";

    public override void Run(byte[] input)
    {
        var config = HuggingFaceConfig.Parse(Encoding.UTF8.GetString(input), "config.json");
        // Parse validates; the derived widths must then be computable.
        _ = config.QueryWidth + config.KvWidth;
    }
}
