namespace Transformer.ChatTemplates.Tests;

/// <summary>The golden JSON and this project's templates, copied beside the test assembly.</summary>
internal static class TestFiles
{
    public static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    public static string Template(string name) => Path.Combine(AppContext.BaseDirectory, "Templates", name);

    /// <summary>The clock the goldens were rendered with (hf_environment.FIXED_NOW).</summary>
    public static readonly DateTime GoldenNow = new(2025, 3, 14, 9, 26, 53);
}
