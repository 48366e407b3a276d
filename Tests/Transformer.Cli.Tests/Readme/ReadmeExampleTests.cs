using System.Reflection;

namespace Transformer.Cli.Tests.Readme;

/// <summary>
/// The README's C# example, compiled as a fresh console app against the repository's projects (with the SDK that
/// global.json selects, as the repository builds) and run from the repository root on the bundled model.
/// </summary>
public sealed class ReadmeExampleTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_csharp_example_builds_and_prints_text_the_model_generated()
    {
        var block = Assert.Single(ReadmeDocument.Marked(ReadmeDocument.CSharpExample));
        Assert.Equal("csharp", block.Language);
        string root = RepositoryPaths.Root;
        string configuration = typeof(ReadmeExampleTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        using var app = new TempDirectory();
        File.WriteAllText(Path.Combine(app.Path, "Program.cs"), block.Text);
        File.WriteAllText(Path.Combine(app.Path, "ReadmeExample.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(root, "Runtime", "Transformer.Text", "Transformer.Text.csproj")}" />
              </ItemGroup>
            </Project>
            """);
        // What `dotnet new console` gives, and nothing from folders above the temporary one (MSBuild looks upwards).
        foreach (string stop in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(app.Path, stop), "<Project />");
        File.Copy(Path.Combine(root, "global.json"), Path.Combine(app.Path, "global.json"));

        // Same configuration as these tests, so the referenced projects are already built; no build servers left behind.
        var build = await DotnetProcess.RunAsync(
            ["build", "ReadmeExample.csproj", "-c", configuration, "--disable-build-servers", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            app.Path, BuildTimeout);
        Assert.True(build.ExitCode == 0, $"the README's C# example (README.md line {block.Line}) does not build: {build}");

        string assembly = Path.Combine(app.Path, "bin", configuration, "net10.0", "ReadmeExample.dll");
        var run = await DotnetProcess.RunAsync([assembly], root, RunTimeout);

        Assert.True(run.ExitCode == 0, $"the README's C# example fails: {run}");
        Assert.Equal("", run.StandardError);
        string printed = run.Output.Trim();
        Assert.True(printed.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length >= 20, $"the example printed too little: {run}");
        using var model = Transformer.Text.LanguageModel.Load(Path.Combine(root, "models", "stories260K"));
        double score = GeneratedText.MeanLogProbability(model, printed);
        Assert.True(score > GeneratedText.Threshold, $"the example's output does not read as the model's text (mean log-probability {score:F2}): {printed}");
    }
}
