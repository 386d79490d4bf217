//! The static seed data (api.md §9.1 avatar presets, §9.2 persona examples).

/// Allowed `avatar_presets.category` values (api.md §9.1).
pub const PRESET_CATEGORIES: [&str; 5] =
    ["professional", "casual", "sports", "fashion", "traditional"];
/// Allowed `persona_examples.category` values (api.md §9.2).
pub const PERSONA_CATEGORIES: [&str; 4] = ["business", "creative", "lifestyle", "healthcare"];

pub const EXPECTED_PRESETS: usize = 19;
pub const EXPECTED_PERSONA_EXAMPLES: usize = 12;

/// Visual attributes; `""` means "no value" and is left out of the JSON text.
#[derive(Clone, Copy, Debug)]
pub struct Attributes {
    pub gender: &'static str,
    pub age_range: &'static str,
    pub ethnicity: &'static str,
    pub style: &'static str,
    pub hair_style: &'static str,
}

impl Attributes {
    /// JSON object text with only the attributes that have a value, keys in the
    /// order gender, ageRange, ethnicity, style, hairStyle.
    pub fn json(&self) -> String {
        let fields = [
            ("gender", self.gender),
            ("ageRange", self.age_range),
            ("ethnicity", self.ethnicity),
            ("style", self.style),
            ("hairStyle", self.hair_style),
        ];
        object(
            fields
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k, serde_json::Value::from(v)))
                .collect(),
        )
    }
}

/// One avatar preset (api.md §9.1).
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    pub name: &'static str,
    pub category: &'static str,
    pub persona: &'static str,
    pub age: i32,
    pub personality: [&'static str; 3],
    pub background: &'static str,
    pub attributes: Attributes,
    pub generation_prompt: &'static str,
}

impl Preset {
    /// `{name, age, personality, background}`, as JSON text, keys in that order.
    pub fn persona_template(&self) -> String {
        object(vec![
            ("name", self.persona.into()),
            ("age", self.age.into()),
            ("personality", self.personality.to_vec().into()),
            ("background", self.background.into()),
        ])
    }

    pub fn visual_attributes(&self) -> String {
        self.attributes.json()
    }

    pub fn slug(&self) -> String {
        slug(self.name)
    }

    /// `/presets/avatar-creator/<slug>.jpg`.
    pub fn preview_image_url(&self) -> String {
        format!("/presets/avatar-creator/{}.jpg", self.slug())
    }
}

/// One persona example (api.md §9.2).
#[derive(Clone, Copy, Debug)]
pub struct PersonaExample {
    pub category: &'static str,
    pub name: &'static str,
    pub persona: &'static str,
    pub age: i32,
    pub personality: [&'static str; 3],
    pub background: &'static str,
    pub attributes: Attributes,
    /// 0, 10, 20 inside each category.
    pub display_order: i32,
}

impl PersonaExample {
    /// JSON array text of the three traits.
    pub fn personality_json(&self) -> String {
        serde_json::Value::from(self.personality.to_vec()).to_string()
    }

    pub fn suggested_attributes(&self) -> String {
        self.attributes.json()
    }
}

/// A JSON object as text with its keys in the given order (serde_json's own map
/// sorts them).
fn object(fields: Vec<(&str, serde_json::Value)>) -> String {
    let body: Vec<String> = fields
        .into_iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Lowercase ASCII letters and digits, every other run of characters one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

const fn attrs(
    gender: &'static str,
    age_range: &'static str,
    ethnicity: &'static str,
    style: &'static str,
    hair_style: &'static str,
) -> Attributes {
    Attributes {
        gender,
        age_range,
        ethnicity,
        style,
        hair_style,
    }
}

pub const PRESETS: [Preset; 19] = [
    // professional
    Preset {
        name: "Professional Business Woman",
        category: "professional",
        persona: "Sarah Chen",
        age: 32,
        personality: ["professional", "confident", "approachable"],
        background: "A senior marketing executive with ten years of experience leading brand campaigns.",
        attributes: attrs("female", "adult", "east-asian", "professional", ""),
        generation_prompt: "Professional portrait of a confident East Asian businesswoman in her thirties wearing an elegant tailored blazer, standing in a bright modern office, soft natural window light, shallow depth of field.",
    },
    Preset {
        name: "Professional Business Man",
        category: "professional",
        persona: "James Anderson",
        age: 38,
        personality: ["decisive", "composed", "trustworthy"],
        background: "A corporate finance director who advises boards on mergers and long-term strategy.",
        attributes: attrs("male", "adult", "caucasian", "formal", ""),
        generation_prompt: "Formal headshot of a composed Caucasian businessman in his late thirties wearing a dark navy suit and tie, in a glass-walled boardroom, even studio lighting, sharp focus.",
    },
    Preset {
        name: "Professional Hijabi Woman",
        category: "professional",
        persona: "Aisha Rahman",
        age: 28,
        personality: ["ambitious", "articulate", "warm"],
        background: "A young project manager at a technology consultancy who mentors new graduates.",
        attributes: attrs(
            "female",
            "young",
            "southeast-asian",
            "professional",
            "hijab",
        ),
        generation_prompt: "Professional portrait of a smiling young Southeast Asian woman wearing a neat pastel hijab and a tailored blazer, in a contemporary co-working office, soft daylight, shallow depth of field.",
    },
    Preset {
        name: "Healthcare Professional",
        category: "professional",
        persona: "Dr. Sofia Martinez",
        age: 35,
        personality: ["caring", "knowledgeable", "calm"],
        background: "A family physician who runs a busy community clinic and teaches medical students.",
        attributes: attrs("female", "adult", "hispanic", "medical", ""),
        generation_prompt: "Portrait of a caring Hispanic female doctor in her mid-thirties wearing a white coat with a stethoscope, in a clean bright clinic corridor, soft diffused light, natural skin tones.",
    },
    Preset {
        name: "Creative Professional",
        category: "professional",
        persona: "Maya Johnson",
        age: 29,
        personality: ["creative", "curious", "energetic"],
        background: "An art director at a design studio who turns brand ideas into bold visual campaigns.",
        attributes: attrs("female", "young", "african", "creative-casual", ""),
        generation_prompt: "Portrait of a young African woman art director in a relaxed creative-casual outfit with a patterned scarf, in a sunlit design studio with mood boards behind her, warm natural light.",
    },
    // casual
    Preset {
        name: "Casual Young Man",
        category: "casual",
        persona: "Alex Thompson",
        age: 24,
        personality: ["easygoing", "friendly", "adventurous"],
        background: "A university graduate working at a bike shop who spends weekends hiking with friends.",
        attributes: attrs("male", "young", "caucasian", "casual", ""),
        generation_prompt: "Casual portrait of a relaxed young Caucasian man in a plain t-shirt and denim jacket, smiling on a city street, golden-hour sunlight, shallow depth of field.",
    },
    Preset {
        name: "Casual Young Woman",
        category: "casual",
        persona: "Emily Park",
        age: 22,
        personality: ["cheerful", "sociable", "curious"],
        background: "A design student who works part-time at a neighbourhood café and loves photography.",
        attributes: attrs("female", "young", "east-asian", "casual", ""),
        generation_prompt: "Casual portrait of a cheerful young East Asian woman in a cosy knit sweater, sitting in a bright café by the window, soft natural light, candid smile.",
    },
    Preset {
        name: "Casual Hijabi Student",
        category: "casual",
        persona: "Dina Kartika",
        age: 20,
        personality: ["bright", "friendly", "hardworking"],
        background: "A second-year communications student who runs her campus photography club.",
        attributes: attrs("female", "young", "southeast-asian", "casual", "hijab"),
        generation_prompt: "Casual portrait of a young Southeast Asian university student wearing a colourful hijab and a denim jacket, holding books on a leafy campus path, soft afternoon light.",
    },
    Preset {
        name: "Casual Artist",
        category: "casual",
        persona: "Isabella Rodriguez",
        age: 30,
        personality: ["free-spirited", "expressive", "passionate"],
        background: "A painter who sells her colourful canvases at weekend markets and teaches art workshops.",
        attributes: attrs("female", "adult", "hispanic", "bohemian", ""),
        generation_prompt: "Portrait of a free-spirited Hispanic woman artist in a flowing bohemian blouse with layered jewellery, in a plant-filled studio with paint-splattered canvases, warm window light.",
    },
    Preset {
        name: "Casual Retiree",
        category: "casual",
        persona: "Helen White",
        age: 65,
        personality: ["warm", "active", "nurturing"],
        background: "A retired teacher who now organises community volunteers in her town.",
        attributes: attrs("female", "mature", "caucasian", "casual-comfortable", ""),
        generation_prompt: "Casual portrait of an active senior Caucasian woman in a comfortable cardigan, smiling warmly in a garden, natural outdoor light, gentle background blur.",
    },
    // sports
    Preset {
        name: "Athletic Runner",
        category: "sports",
        persona: "Ken Tanaka",
        age: 28,
        personality: ["determined", "disciplined", "energetic"],
        background: "A marathon runner who trains before work and coaches a local running club.",
        attributes: attrs("male", "young", "east-asian", "athletic", ""),
        generation_prompt: "Dynamic portrait of a fit young East Asian male runner in performance running gear on a waterfront track at sunrise, crisp morning light, sharp focus.",
    },
    Preset {
        name: "Fitness Instructor",
        category: "sports",
        persona: "Carmen Silva",
        age: 31,
        personality: ["motivating", "upbeat", "disciplined"],
        background: "A certified group fitness instructor who leads high-energy classes at a city gym.",
        attributes: attrs("female", "adult", "hispanic", "athletic", ""),
        generation_prompt: "Portrait of an energetic Hispanic female fitness instructor in a sports top and leggings, smiling in a modern gym, bright even lighting, shallow depth of field.",
    },
    Preset {
        name: "Yoga Instructor",
        category: "sports",
        persona: "Priya Sharma",
        age: 34,
        personality: ["calm", "mindful", "patient"],
        background: "A yoga teacher who runs a small studio and leads mindfulness retreats.",
        attributes: attrs("female", "adult", "south-asian", "athletic-yoga", ""),
        generation_prompt: "Serene portrait of a South Asian female yoga instructor in comfortable yoga wear, seated on a mat in a light wooden studio, soft morning light, calm expression.",
    },
    // fashion
    Preset {
        name: "Fashion Model",
        category: "fashion",
        persona: "Victoria Sterling",
        age: 25,
        personality: ["poised", "glamorous", "confident"],
        background: "A runway model who has walked for European fashion houses and shoots editorial campaigns.",
        attributes: attrs("female", "young", "caucasian", "high-fashion", ""),
        generation_prompt: "High-fashion editorial portrait of a poised young Caucasian female model in a sleek designer outfit, against a seamless studio backdrop, dramatic studio lighting.",
    },
    Preset {
        name: "Street Fashion",
        category: "fashion",
        persona: "Jae Park",
        age: 23,
        personality: ["trendy", "bold", "laid-back"],
        background: "A streetwear enthusiast who runs a popular fashion account and designs limited sneaker drops.",
        attributes: attrs("male", "young", "east-asian", "street-fashion", ""),
        generation_prompt: "Street-style portrait of a trendy young East Asian man in an oversized jacket and layered streetwear, on an urban street with graffiti walls, overcast natural light.",
    },
    Preset {
        name: "Modest Fashion",
        category: "fashion",
        persona: "Amira Al-Farsi",
        age: 27,
        personality: ["elegant", "graceful", "confident"],
        background: "A modest-fashion designer whose luxury abaya line is sold in boutiques across the Gulf.",
        attributes: attrs(
            "female",
            "young",
            "middle-eastern",
            "modest-luxury",
            "hijab-luxury",
        ),
        generation_prompt: "Elegant portrait of a young Middle Eastern woman in a luxurious silk hijab and a flowing embellished abaya, in a refined boutique interior, soft warm lighting.",
    },
    // traditional
    Preset {
        name: "Traditional Indonesian",
        category: "traditional",
        persona: "Siti Nurhaliza",
        age: 35,
        personality: ["gracious", "proud", "gentle"],
        background: "A batik artisan from Yogyakarta who keeps her family's hand-drawn batik tradition alive.",
        attributes: attrs(
            "female",
            "adult",
            "southeast-asian",
            "traditional-indonesian",
            "",
        ),
        generation_prompt: "Portrait of a gracious Southeast Asian woman wearing a traditional Indonesian kebaya with a batik sarong, in a Javanese pendopo courtyard, warm natural light.",
    },
    Preset {
        name: "Traditional Indian",
        category: "traditional",
        persona: "Lakshmi Devi",
        age: 32,
        personality: ["graceful", "warm", "devoted"],
        background: "A classical Bharatanatyam dancer who teaches children at her cultural academy.",
        attributes: attrs("female", "adult", "south-asian", "traditional-indian", ""),
        generation_prompt: "Portrait of a graceful South Asian woman wearing a rich silk saree with traditional gold jewellery, in an ornate heritage courtyard, soft golden light.",
    },
    Preset {
        name: "Traditional Japanese",
        category: "traditional",
        persona: "Yuki Nakamura",
        age: 30,
        personality: ["serene", "refined", "thoughtful"],
        background: "A tea ceremony instructor in Kyoto who teaches the traditions of chado to visitors.",
        attributes: attrs("female", "adult", "east-asian", "traditional-japanese", ""),
        generation_prompt: "Portrait of a serene East Asian woman wearing an elegant traditional Japanese kimono, kneeling in a tatami tea room with shoji screens, soft diffused daylight.",
    },
];

pub const PERSONA_EXAMPLES: [PersonaExample; 12] = [
    // business
    PersonaExample {
        category: "business",
        name: "Startup Founder",
        persona: "Raka Pratama",
        age: 34,
        personality: ["visionary", "driven", "resilient"],
        background: "Founded a logistics start-up after eight years in supply-chain consulting.",
        attributes: attrs("male", "adult", "southeast-asian", "smart-casual", ""),
        display_order: 0,
    },
    PersonaExample {
        category: "business",
        name: "Corporate Executive",
        persona: "Linda Hartono",
        age: 45,
        personality: ["decisive", "composed", "strategic"],
        background: "Chief operating officer of a regional retail group, known for calm leadership.",
        attributes: attrs("female", "adult", "southeast-asian", "formal", ""),
        display_order: 10,
    },
    PersonaExample {
        category: "business",
        name: "Sales Consultant",
        persona: "Daniel Wijaya",
        age: 29,
        personality: ["persuasive", "friendly", "energetic"],
        background: "Top-performing B2B software sales consultant who loves meeting clients.",
        attributes: attrs("male", "young", "east-asian", "business-casual", ""),
        display_order: 20,
    },
    // creative
    PersonaExample {
        category: "creative",
        name: "Graphic Designer",
        persona: "Nadia Putri",
        age: 27,
        personality: ["imaginative", "detail-oriented", "playful"],
        background: "Freelance designer creating brand identities for local cafés and boutiques.",
        attributes: attrs("female", "young", "southeast-asian", "creative-casual", ""),
        display_order: 0,
    },
    PersonaExample {
        category: "creative",
        name: "Content Creator",
        persona: "Kevin Tan",
        age: 24,
        personality: ["charismatic", "spontaneous", "trend-aware"],
        background: "Makes short videos about street food and travel for half a million followers.",
        attributes: attrs("male", "young", "east-asian", "streetwear", ""),
        display_order: 10,
    },
    PersonaExample {
        category: "creative",
        name: "Photographer",
        persona: "Maya Lestari",
        age: 31,
        personality: ["observant", "patient", "artistic"],
        background: "Documentary photographer who shoots weddings on weekends and portraits on weekdays.",
        attributes: attrs("female", "adult", "southeast-asian", "bohemian", ""),
        display_order: 20,
    },
    // lifestyle
    PersonaExample {
        category: "lifestyle",
        name: "Fitness Enthusiast",
        persona: "Andi Saputra",
        age: 28,
        personality: ["disciplined", "motivating", "upbeat"],
        background: "Certified personal trainer who shares home-workout routines online.",
        attributes: attrs("male", "young", "southeast-asian", "athletic", ""),
        display_order: 0,
    },
    PersonaExample {
        category: "lifestyle",
        name: "Modest Fashion Blogger",
        persona: "Aisyah Rahma",
        age: 26,
        personality: ["elegant", "warm", "confident"],
        background: "Writes about modest fashion and hijab styling for everyday and formal occasions.",
        attributes: attrs(
            "female",
            "young",
            "southeast-asian",
            "modest-fashion",
            "hijab",
        ),
        display_order: 10,
    },
    PersonaExample {
        category: "lifestyle",
        name: "Travel Enthusiast",
        persona: "Sophie Laurent",
        age: 33,
        personality: ["adventurous", "curious", "easygoing"],
        background: "Remote marketer who has worked from twenty countries and reviews boutique hotels.",
        attributes: attrs("female", "adult", "caucasian", "casual", ""),
        display_order: 20,
    },
    // healthcare
    PersonaExample {
        category: "healthcare",
        name: "Family Doctor",
        persona: "Budi Santoso",
        age: 42,
        personality: ["caring", "calm", "trustworthy"],
        background: "General practitioner who has run a neighbourhood clinic for fifteen years.",
        attributes: attrs("male", "adult", "southeast-asian", "medical", ""),
        display_order: 0,
    },
    PersonaExample {
        category: "healthcare",
        name: "Paediatric Nurse",
        persona: "Rina Kusuma",
        age: 30,
        personality: ["compassionate", "reliable", "cheerful"],
        background: "Children's ward nurse who explains treatments to young patients and their parents.",
        attributes: attrs("female", "adult", "southeast-asian", "medical", ""),
        display_order: 10,
    },
    PersonaExample {
        category: "healthcare",
        name: "Nutritionist",
        persona: "Clara Widjaja",
        age: 36,
        personality: ["knowledgeable", "encouraging", "practical"],
        background: "Clinical nutritionist who designs meal plans for busy professionals.",
        attributes: attrs("female", "adult", "east-asian", "smart-casual", ""),
        display_order: 20,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_texts_keep_the_documented_key_order() {
        let first = &PERSONA_EXAMPLES[0];
        assert_eq!(
            first.suggested_attributes(),
            r#"{"gender":"male","ageRange":"adult","ethnicity":"southeast-asian","style":"smart-casual"}"#
        );
        let hijabi = &PRESETS[2];
        assert_eq!(
            hijabi.visual_attributes(),
            r#"{"gender":"female","ageRange":"young","ethnicity":"southeast-asian","style":"professional","hairStyle":"hijab"}"#
        );
        let sarah = &PRESETS[0];
        assert!(sarah.persona_template().starts_with(
            r#"{"name":"Sarah Chen","age":32,"personality":["professional","confident","approachable"],"background":"#
        ));
        assert_eq!(
            first.personality_json(),
            r#"["visionary","driven","resilient"]"#
        );
    }

    #[test]
    fn slugs_and_preview_urls() {
        assert_eq!(
            PRESETS[0].preview_image_url(),
            "/presets/avatar-creator/professional-business-woman.jpg"
        );
        assert_eq!(slug("  Dr. Sofia -- Martinez! "), "dr-sofia-martinez");
    }
}
